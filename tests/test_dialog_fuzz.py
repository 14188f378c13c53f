"""Fuzz of the dialog (issue 13): generated messages, every registered command with generated arguments, forged
buttons and quiz-poll answers, sent through :meth:`Dialog.handle` and :meth:`Dialog.poll_answer` in every state a
person can be in — each registration step, a quiz, a practice fill-in, a multiple-choice question, a mock interview,
practice on their own village's facts, a coordinator — with the village source and the coordinator commands
installed as the product installs them.

Every reply list must be non-empty, every reply have text, none be over Telegram's 4 096 characters, no button carry
more than 64 bytes of data, and nothing may raise. CI runs a small fixed-seed sample (``FUZZ_EXAMPLES``);
``scripts/fuzz_dialog.py`` runs 10 000.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from bot import villages
from bot.coordination import coordinators, own_verdict, reminders
from bot.coordination.readiness import load_rule
from bot.coordination.reports import Scope
from bot.dialog import Dialog
from bot.kernel.messages import MAX_BUTTON_DATA_BYTES, Incoming, Reply
from bot.kernel.models import QuestionType
from bot.kernel.store import Store
from bot.practice.quiz import QuizMaster
from bot.qa import knowledge

ROOT = Path(__file__).resolve().parents[1]
VILLAGES = ROOT / "samples" / "village_sample.csv"
MAX_TEXT = 4096
#: Examples per run in CI (the whole test stays well under 30 s on a shared machine).
FUZZ_EXAMPLES = 120
COORDINATORS = {"cli:fuzz-city": Scope(None), "cli:fuzz-jiaji": Scope("嘉积镇")}
STATES = ("new", "ask-name", "ask-role", "ask-town", "ask-village", "registered", "quiz", "polls", "fillin",
          "multiple", "interview", "village", "coordinator", "city")


# ---------------------------------------------------------------------------------------------- the world
@dataclass
class World:
    """One dialog as the product builds it (coordinators, reminders, /me verdict, village source over the sample
    sheet), on a store in a temporary folder, with a temporary copy of the readiness rule (``/visitdate`` writes
    it)."""

    dialog: Dialog
    store: Store
    folder: Path
    counter: itertools.count
    readiness_before: str | None = None

    @classmethod
    def build(cls, kb: knowledge.KnowledgeBase) -> "World":
        folder = Path(tempfile.mkdtemp(prefix="shuxi-fuzz-"))
        shutil.copy(ROOT / "config" / "readiness.yaml", folder / "readiness.yaml")
        before = os.environ.get("SHUXI_READINESS")
        os.environ["SHUXI_READINESS"] = str(folder / "readiness.yaml")
        store = Store(folder / "fuzz.db")
        dialog = Dialog(kb, store, QuizMaster(kb, store, random.Random(13)))
        rule = load_rule()
        clock = lambda: datetime(2021, 10, 15, 4, tzinfo=timezone.utc)   # noqa: E731 - before the visit date
        coordinators.install(dialog, dict(COORDINATORS), rule, clock=clock)
        reminders.install(dialog, rule, clock=clock)
        own_verdict.install(dialog, rule)
        villages.import_file(store, VILLAGES, villages.load_fields())
        villages.install(dialog, villages.load_fields(), scope_of=lambda person: COORDINATORS.get(person.key))
        return cls(dialog, store, folder, itertools.count(), before)

    def close(self) -> None:
        self.store.db.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.readiness_before is None:
            os.environ.pop("SHUXI_READINESS", None)
        else:
            os.environ["SHUXI_READINESS"] = self.readiness_before

    def person_in(self, state: str) -> str:
        """A fresh account key put in ``state`` by the messages a person would send (or, for a session whose
        current question must be of one type, by starting that session in the store)."""
        if state == "coordinator":
            return "cli:fuzz-jiaji"
        if state == "city":
            return "cli:fuzz-city"
        key = f"cli:fuzz{next(self.counter)}"
        say = lambda text: self.dialog.handle(Incoming(key, text=text))   # noqa: E731
        steps = ["/start", "王小明", None, "嘉积镇", "椰林村"]
        upto = {"new": 0, "ask-name": 1, "ask-role": 2, "ask-town": 3, "ask-village": 4}.get(state, 5)
        for step in steps[:upto]:
            if step is None:
                self.dialog.handle(Incoming(key, button="role:village_secretary"))
            else:
                say(step)
        person = self.store.person(key)
        if state in ("quiz", "polls"):
            if state == "polls":
                say("/polls on")
            say("/quiz 3")
        elif state in ("fillin", "multiple"):
            kind = QuestionType.fillin if state == "fillin" else QuestionType.multiple
            ids = [q.id for q in self.dialog.quiz.bank.values() if q.type is kind][:2]
            self.store.start_session(person.id, ids + [next(iter(self.dialog.quiz.bank))], mode="practice")
        elif state == "interview":
            say("/interview")
        elif state == "village":
            say("/practice")
        return key


# ------------------------------------------------------------------------------------------- the messages
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
LONG = st.builds(lambda c, n: c * n, st.sampled_from(["石", "a", "1", " ", "\n", "<b>", "😀", "\u200b"]),
                 st.integers(300, 6000))
ANSWERS = st.sampled_from(["A", "b", "AC", "acd", "1", "13", "99", "0", "-1", "对", "错", "提交", "320", "320户",
                           "三百二十户", "1.5万元", "58.6", "不知道", "小额信贷逾期率多少", "两后生", "/cancel", ""])
ODD_NUMBERS = st.one_of(st.integers(-3, 12), st.integers(-2 ** 70, 2 ** 70), st.sampled_from([99, 100, 10 ** 9]))
NUMBER_TEXT = st.one_of(ODD_NUMBERS.map(str), st.sampled_from(["", "x", "1.5", "٣", "１", "0x1", " 1", "1e3"]))
FORGED = st.one_of(
    st.text(max_size=100),
    st.builds(lambda p, a, b, c: f"{p}{a}:{b}:{c}", st.sampled_from(["q:", "m:"]), NUMBER_TEXT, NUMBER_TEXT,
              NUMBER_TEXT),
    st.builds(lambda p, t: p + t, st.sampled_from(["q:", "m:", "kb:", "role:"]), st.text(max_size=70)),
    st.sampled_from(["q:", "m:", "kb:", "role:", "role:village_secretary", "role:coordinator", "kb:nope", "q:1:0:0"]),
)


@st.composite
def message(draw, commands: list[str]) -> tuple:
    """One thing a person does: ("text", text, private) | ("command", name, argument) | ("button", data) |
    ("current", prefix, position offset, option) — a button of the open session — | ("poll", known, option)."""
    kind = draw(st.sampled_from(["text", "command", "button", "current", "poll"]))
    if kind == "text":
        return "text", draw(st.one_of(TEXT, ANSWERS, LONG)), draw(st.booleans() | st.just(True))
    if kind == "command":
        name = draw(st.sampled_from(commands) | st.text(max_size=12))
        return "command", name, draw(st.one_of(st.just(""), TEXT, NUMBER_TEXT, LONG, st.sampled_from(
            ["10", "on", "off", "椰林村", "嘉积镇 椰林村", "石头村", "王小明", "2026-11-01", "2026-13-40", "town:嘉积镇"])))
    if kind == "button":
        return "button", draw(FORGED)
    if kind == "current":
        return "current", draw(st.sampled_from(["q", "m"])), draw(st.integers(-1, 2)), draw(NUMBER_TEXT)
    return "poll", draw(st.booleans()), draw(ODD_NUMBERS)


def send(world: World, key: str, action: tuple, polls: dict[str, str]) -> list[Reply]:
    """Send one generated action as ``key``; return the replies (remembering any quiz poll, as Telegram does)."""
    dialog, kind = world.dialog, action[0]
    channel = random.Random(str(action)).choice(["telegram", "terminal", "web"])
    if kind == "text":
        replies = dialog.handle(Incoming(key, text=action[1], channel=channel, private=action[2]))
    elif kind == "command":
        replies = dialog.handle(Incoming(key, text=f"/{action[1]} {action[2]}", channel=channel))
    elif kind == "button":
        replies = dialog.handle(Incoming(key, button=action[1], channel=channel))
    elif kind == "current":
        session = world.store.open_session(world.store.person(key).id)
        sid, pos = (session.id, session.position) if session else (0, 0)
        data = f"{action[1]}:{sid}:{pos + action[2]}:{action[3]}"
        if len(data.encode()) > MAX_BUTTON_DATA_BYTES or not data.isascii():
            return [Reply("（超长的按钮数据，Telegram 不会送来）")]
        replies = dialog.handle(Incoming(key, button=data, channel=channel))
    else:
        poll_id = next(reversed(polls)) if action[1] and polls else f"forged{action[2]}"
        replies = dialog.poll_answer(poll_id, key, action[2])
    for reply in replies:
        if reply.poll is not None:
            poll_id = f"poll{len(polls)}"
            polls[poll_id] = reply.poll.answer_data
            dialog.remember_poll(poll_id, key, reply.poll.answer_data)
    return replies


def check(replies: list[Reply], action: tuple) -> None:
    """The promises every reply keeps, whatever was sent."""
    assert replies, f"no reply to {action!r}"
    for reply in replies:
        assert reply.text and reply.text.strip(), f"a reply without text to {action!r}: {reply!r}"
        shown = f"{reply.title}\n{reply.text}" if reply.title else reply.text
        assert len(shown) <= MAX_TEXT, f"a reply of {len(shown)} characters to {action[:2]!r}"
        for row in reply.buttons:
            for button in row:
                assert len(button.data.encode()) <= MAX_BUTTON_DATA_BYTES, button


def fuzz_test(world: World, examples: int):
    """The property as a hypothesis test over ``world`` with ``examples`` examples and a fixed seed."""
    commands = sorted(world.dialog.commands)

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(state=st.sampled_from(STATES), actions=st.lists(message(commands), min_size=1, max_size=5))
    def test(state, actions):
        key = world.person_in(state)
        polls: dict[str, str] = {}
        for action in actions:
            check(send(world, key, action, polls), action)

    return test


def test_no_message_in_any_state_breaks_the_dialog(kb):
    world = World.build(kb)
    try:
        fuzz_test(world, FUZZ_EXAMPLES)()
    finally:
        world.close()


def test_every_state_is_reached(kb):
    """The fuzz's states are the ones it names: a check that can fail, so the fuzz does not drift into one state."""
    world = World.build(kb)
    try:
        def open_question(key):
            session = world.store.open_session(world.store.person(key).id)
            return session and (session.mode, session.question_ids[session.position])
        assert world.dialog.registration and "姓名" in world.dialog.handle(Incoming(world.person_in("new"),
                                                                                   text="/start"))[0].text
        assert world.store.person(world.person_in("registered")).registered
        mode, qid = open_question(world.person_in("fillin"))
        assert world.dialog.quiz.question(qid).type is QuestionType.fillin
        mode, qid = open_question(world.person_in("multiple"))
        assert world.dialog.quiz.question(qid).type is QuestionType.multiple
        assert open_question(world.person_in("interview"))[0] == "interview"
        assert open_question(world.person_in("village"))[1].startswith("v.")
        assert open_question(world.person_in("quiz"))[0] == "quiz"
        reply = world.dialog.handle(Incoming("cli:fuzz-jiaji", text="/report"))[0].text
        assert "嘉积镇" in reply
    finally:
        world.close()


def test_found_by_the_fuzz_coordinator_lists_stay_within_one_message(kb):
    """Found by the fuzz: with a few dozen self-registered 王小明 in 嘉积镇, /unprepared (and /person 王小明, every
    one of them) came to 8 054 characters. Now cut at a whole line, saying where the full list is."""
    world = World.build(kb)
    try:
        for i in range(60):
            person = world.store.person(f"cli:many{i}")
            world.store.register(person.id, "王小明", "village_secretary", "嘉积镇", f"第{i}村")
        for command in ("/unprepared", "/person 王小明", "/report"):
            reply = world.dialog.handle(Incoming("cli:fuzz-jiaji", text=command))[0].text
            assert len(reply) <= MAX_TEXT, (command, len(reply))
        assert reply_of(world, "/unprepared").endswith(coordinators.TOO_LONG)
        assert reply_of(world, "/unprepared").splitlines()[0].startswith("未准备好的人员")
    finally:
        world.close()


def reply_of(world: World, text: str) -> str:
    return world.dialog.handle(Incoming("cli:fuzz-jiaji", text=text))[0].text
