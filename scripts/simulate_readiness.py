"""Does the readiness verdict predict the interview? Simulated cadres practise through the dialog; an exam on items
they never practised is the truth.

    .venv/bin/python scripts/simulate_readiness.py [--people K] [--days D] [--seed S] [--rule config/readiness.yaml]
                                                   [--oracle]

**The cadres.** Each has a role (cycling through the roles whose curriculum has at least 100 questions) and a hidden
ability: strong (30 %, 0.86–0.97), near the pass mark (40 %, 0.70–0.90) or weak (30 %, 0.40–0.72), shifted a little
by role (those who run the work know the plan a bit better than household contacts). Their chance of knowing one
item is that ability plus the item's difficulty (the same for everyone) plus a personal quirk, within 0.02–0.99.

**Practice.** On a share of days of their own (15–90 %) they send /practice and answer all 10 questions through
``Dialog.handle(Incoming(...))`` exactly as the terminal does — buttons, ticks and 提交, typed fill-ins. An item is
a fact (``QuizQuestion.fact``: a fill-in and its choice question ask one, and knowing or learning it serves both;
until 2026-12-02 each question was an item of its own, so the second form of an explained fact counted as fresh
evidence here while a real cadre has just been told the answer). A question is answered right when its item is
known (its chance today) and not slipped (5 %); an item not known is a guess among the options (a fill-in not known
is wrong). A wrong answer is learnt from the explanation with probability 0.6: that item's chance
rises to 0.9 and fades back to the base with a half-life of 6 days; base knowledge fades by 0.2 % a day. This is
why spaced repetition's returning items can show a latest-attempt accuracy above what the person knows.

**Mock interviews.** 75 % take /interview, on some of the last 10 days. Each key point is covered with the person's
chance of knowing it (ability plus the point's difficulty), slips aside, in the plan's words or in one of the
wordings the question accepts; points not known are left out; nothing known gives a vague answer. Points missed are
learnt from the feedback with probability 0.4 (as above), so a second interview is a little better.

**Reminders.** Every evening the real reminder planner (:class:`bot.coordination.reminders.Reminders`, under the
rule) picks who is not ready; the next day each reminded cadre follows the step it names with probability 0.5 —
/practice or /interview — on top of their own habits.

**The truth.** On the last day the coordinators' report judges everyone under the rule (read from ``--rule``; the
script never gives the rule the hidden knowledge). The exam is every fact of their curriculum they never practised
(the held-out part: about 70–230 facts of 156–282, so the truth is not a coin toss for someone near the mark),
each right when known at its base chance (no practice boost) and not slipped; pass at the rule's ``min_accuracy`` (the plan's
80 %). Roles with fewer than 100 curriculum questions (nothing would be left unpractised) are not simulated.

**The clock.** Each simulated day a cadre starts at 9:00 local time and each message comes 8 s after the one before
(``clock.set_today(day, at=…)`` plus ``clock.advance``); reminders and the final verdict are made at 20:00. Nothing
reads the real time of day, so the same ``--seed`` prints the same lines at any hour and under any PYTHONHASHSEED
(until this, every message was stamped with the real time of day and second, and two runs of one seed differed:
what falls inside a window depends on the hour, and e.g. the interviewer asks the least recently answered question
first, so whether two answers were stamped in the same second changed what came next).

Speed: one database and one knowledge base for everyone, the same ``Dialog``; what is skipped is only what a person
does not need (no /me, no policy questions). 600 people over 21 days: about 60 000 messages.

First line: ``seed=… days=… answers=… right=… interviews=… interview_points=… exam_mean=…``, the run in a few figures
(the same seed, the same line). With ``--oracle``: the bound no rule can beat — calling ready whoever's *expected*
exam share (the mean over their exam items of knowing it and not slipping: hidden knowledge) reaches the cut that
gives the highest ready_recall within the targets. Last line: ``people=K false_ready=… unprepared_recall=…
ready_recall=…`` — false_ready: share of those called ready who would fail; unprepared_recall: share of those who
would fail called not ready; ready_recall: share of those who would pass called ready.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fsrs.card as fsrs_card  # noqa: E402

from bot.coordination import reports  # noqa: E402
from bot.coordination.readiness import ReadinessRule, load_rule  # noqa: E402
from bot.coordination.reminders import ReminderConfig, Reminders  # noqa: E402
from bot.dialog import Dialog  # noqa: E402
from bot.kernel import clock  # noqa: E402
from bot.kernel.messages import Incoming  # noqa: E402
from bot.kernel.models import QuestionType  # noqa: E402
from bot.kernel.roles import Role  # noqa: E402
from bot.kernel.store import Store  # noqa: E402
from bot.qa import knowledge  # noqa: E402

SLIP = 0.05                       # a known item answered wrong
BASE_FADE = 0.002                 # base knowledge lost per day
LEARN, LEARNT, HALF_LIFE = 0.6, 0.9, 6.0   # wrong answer → learnt with this chance, to this level, fading (days)
INTERVIEW_LEARN = 0.4
FOLLOW = 0.5                      # a reminder's next step (/practice, /interview) is followed the next day
MIN_CURRICULUM = 100
PROFILES = (("strong", 0.30, 0.86, 0.97), ("near", 0.40, 0.70, 0.90), ("weak", 0.30, 0.40, 0.72))
MORNING, EVENING = dtime(9, 0), dtime(20, 0)   # a cadre's day starts at 9:00; reminders and the verdict at 20:00
STEP = timedelta(seconds=8)       # between two messages of one cadre (under SLOW_SECONDS: rated as a quick answer)
ROLE_SHIFT = {Role.household_contact: -0.04, Role.work_team_member: -0.02, Role.village_secretary: 0.02,
              Role.first_secretary: 0.02, Role.township_leader: 0.01}


class _NoSleep:
    @staticmethod
    def sleep(seconds: float) -> None:
        return None


class World:
    """What is the same for everyone: each item's and key point's difficulty (seeded)."""

    def __init__(self, seed: int):
        self.seed = seed
        self._difficulty: dict[str, float] = {}

    def difficulty(self, item: str) -> float:
        if item not in self._difficulty:
            self._difficulty[item] = random.Random(f"{self.seed}:{item}").gauss(0, 0.10)
        return self._difficulty[item]


class Cadre:
    """One simulated person: account key, role, hidden ability and per-item knowledge, habits."""

    def __init__(self, i: int, role: Role, world: World, rng: random.Random, key: str | None = None):
        self.key, self.role, self.world, self.rng = key or f"sim:{i}", role, world, rng
        draw = rng.random()
        for name, share, low, high in PROFILES:
            if draw < share:
                break
            draw -= share
        self.profile = name
        self.ability = rng.uniform(low, high) + ROLE_SHIFT.get(role, 0.0)
        self.activity = rng.uniform(0.15, 0.9)
        self.takes_interview = rng.random() < 0.75
        self.practised: set[str] = set()
        self._base: dict[str, float] = {}
        self.learnt: dict[str, int] = {}        # item → day learnt
        self.day = 0

    def base(self, item: str) -> float:
        """The chance of knowing ``item`` without having practised it, today."""
        if item not in self._base:
            self._base[item] = self.ability + self.world.difficulty(item) + self.rng.gauss(0, 0.06)
        return min(0.99, max(0.02, self._base[item] * (1 - BASE_FADE) ** self.day))

    def chance(self, item: str) -> float:
        """The chance of knowing ``item`` today, practice included."""
        base = self.base(item)
        if item in self.learnt:
            boost = (LEARNT - base) * 0.5 ** ((self.day - self.learnt[item]) / HALF_LIFE)
            return max(base, base + boost)
        return base

    def knows(self, item: str, practised: bool = True) -> bool:
        p = self.chance(item) if practised else self.base(item)
        return self.rng.random() < p and self.rng.random() >= SLIP

    def learn(self, item: str, chance: float) -> None:
        if self.rng.random() < chance:
            self.learnt[item] = self.day


def send(dialog: Dialog, msg: Incoming) -> None:
    """One message, :data:`STEP` after the one before (the clock stands still otherwise: see :func:`simulate`)."""
    clock.advance(STEP)
    dialog.handle(msg)


def register(dialog: Dialog, c: Cadre, n: int) -> None:
    for msg in (Incoming(c.key, text="/start"), Incoming(c.key, text=f"模拟{n}号"),
                Incoming(c.key, button=f"role:{c.role.value}"), Incoming(c.key, text="模拟镇"),
                Incoming(c.key, text=f"模拟{n % 20}村")):
        send(dialog, msg)


def practise(dialog: Dialog, c: Cadre, person_id: int) -> None:
    """One /practice session, every question answered by button or typing, as a person would."""
    send(dialog, Incoming(c.key, text="/practice"))
    for _ in range(40):
        session = dialog.store.open_session(person_id)
        if session is None or session.mode != "practice":
            return
        qid = session.question_ids[session.position]
        question = dialog.quiz.question(qid)
        item = question.fact or qid   # knowledge is of facts: a fill-in and its choice question ask one
        knows = c.knows(item)
        if question.type is QuestionType.fillin:
            send(dialog, Incoming(c.key, text=question.answer_text if knows else "9999"))
        else:
            options = dialog.quiz.options(session, question)
            answer = question.answer if isinstance(question.answer, list) else [question.answer]
            wanted = [i for i, o in enumerate(options) if o in answer]
            if not knows:   # a guess: one option (for a multiple choice, one or two ticks)
                wanted = c.rng.sample(range(len(options)), 1 if question.type is not QuestionType.multiple
                                      else c.rng.choice((1, 2)))
            if question.type is QuestionType.multiple:
                for i in wanted:
                    send(dialog, Incoming(c.key, button=f"m:{session.id}:{session.position}:{i}"))
                send(dialog, Incoming(c.key, text="提交"))
            else:
                send(dialog, Incoming(c.key, button=f"q:{session.id}:{session.position}:{wanted[0]}"))
        c.practised.add(item)
        if not knows:
            c.learn(item, LEARN)


def interview(dialog: Dialog, c: Cadre, person_id: int) -> None:
    """One /interview: each key point said when known, in the plan's or the cadre's own (accepted) words."""
    send(dialog, Incoming(c.key, text="/interview"))
    for _ in range(12):
        session = dialog.store.open_session(person_id)
        if session is None or session.mode != "interview":
            return
        question = dialog.interviewer.question(session.question_ids[session.position])
        said = []
        for point in question.key_points:
            item = f"{question.id}:{point.point}"
            if c.knows(item):
                words = [point.point, *point.accept]
                said.append(words[0] if c.rng.random() < 0.5 else c.rng.choice(words))
            else:
                c.learn(item, INTERVIEW_LEARN)
        text = "，".join(said) + "。" if said else "这个我还不太清楚，回去再学习一下"
        send(dialog, Incoming(c.key, text=text))


def score(ready: dict[str, bool], passes: dict[str, bool]) -> dict[str, float]:
    """Compare verdicts with the exam, both by cadre key: ``people``, ``false_ready`` (share of those called ready
    who would fail), ``unprepared_recall`` (share of those who would fail called not ready), ``ready_recall``
    (share of those who would pass called ready), ``called_ready``, ``would_pass``, ``would_fail``."""
    called = sum(ready.values())
    would_pass = sum(passes.values())
    would_fail = len(passes) - would_pass
    false_ready = sum(ready[k] and not passes[k] for k in passes)
    caught = sum(not ready[k] and not passes[k] for k in passes)
    right = sum(ready[k] and passes[k] for k in passes)
    return {"people": len(passes), "false_ready": false_ready / max(1, called),
            "unprepared_recall": caught / max(1, would_fail), "ready_recall": right / max(1, would_pass),
            "called_ready": called, "would_pass": would_pass, "would_fail": would_fail}


class Run:
    """A finished simulation: the database, the knowledge base, the cadres, their person ids, exam shares, and each
    cadre's expected exam share (the mean over the exam items of knowing it and not slipping; hidden from rules)."""

    def __init__(self, store: Store, kb, cadres: list[Cadre], ids: dict[str, int], exam: dict[str, float],
                 last_day: date, expected: dict[str, float] | None = None):
        self.store, self.kb, self.cadres, self.ids, self.exam, self.last_day = store, kb, cadres, ids, exam, last_day
        self.expected = expected or {}

    def judge(self, rule) -> dict[str, float]:
        """Judge everyone under ``rule`` on the evening of the last day; return :func:`score`'s figures. Passing
        the exam means a share of right answers of at least the rule's ``min_accuracy``."""
        clock.set_today(self.last_day, at=EVENING)
        report = reports.build_report(self.store, self.kb, rule, reports.Scope(None), clock.now(),
                                      with_unanswered=False)
        verdict = {p.person_id: p.verdict.ready for p in report.people}
        return score({c.key: verdict[self.ids[c.key]] for c in self.cadres}, self.passes(rule.min_accuracy))

    def passes(self, mark: float) -> dict[str, bool]:
        """Who would pass the exam at ``mark``, by cadre key."""
        return {c.key: self.exam[c.key] >= mark - 1e-9 for c in self.cadres}

    def oracle(self, mark: float) -> tuple[float, dict[str, float]]:
        """A bound on any rule: call ready whoever's *expected* exam share reaches a cut (knowledge no rule has).
        Returns (the cut, its figures) for the cut with the highest ready_recall that keeps false_ready ≤ 0.10 and
        unprepared_recall ≥ 0.95 — or, when no cut does, the one with the highest ready_recall at false_ready ≤
        0.10."""
        passes = self.passes(mark)
        best = None
        for cut in sorted(set(self.expected.values())):
            r = score({k: e >= cut for k, e in self.expected.items()}, passes)
            key = (r["false_ready"] <= 0.10 and r["unprepared_recall"] >= 0.95, r["false_ready"] <= 0.10,
                   r["ready_recall"])
            if best is None or key > best[0]:
                best = (key, cut, r)
        return best[1], best[2]


def simulate(people: int, days: int, seed: int, rule: ReadinessRule | None = None) -> Run:
    """Run the simulation (``people`` cadres over ``days`` days) and the exam; judge with :meth:`Run.judge`.
    ``rule`` (default: ``config/readiness.yaml``) is the one the daily reminders judge by."""
    rng = random.Random(seed)
    rule = rule or load_rule()
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    start = date(2026, 9, 1)
    clock.set_today(start, at=MORNING)   # a fixed time of day: the same seed gives the same run, at any hour
    db = Path(tempfile.mkdtemp()) / "sim.db"
    store = Store(db)
    store.db.execute("pragma synchronous = off")   # a throw-away database: no fsync per answer
    fsrs_card.time = _NoSleep   # fsrs waits 1 ms per new card to keep card ids unique; Shuxi never reads them
    dialog = Dialog(kb, store)
    dialog.practice.rng = random.Random(seed)
    dialog.interviewer.rng = random.Random(seed + 1)
    curricula = {r: dialog.practice.curriculum.questions(r) for r in kb.curricula}
    bank = dialog.practice.curriculum.bank
    facts = {r: {bank[q].fact or q for q in qs} for r, qs in curricula.items()}
    roles = [r for r, qs in curricula.items() if len(qs) >= MIN_CURRICULUM]
    world = World(seed)
    cadres, ids = [], {}
    for i in range(people):
        c = Cadre(i, roles[i % len(roles)], world, rng, key=f"tg:{900000 + i}")
        clock.set_today(start, at=dtime(8, 0))   # everyone registers before the first day's practice
        register(dialog, c, i)
        ids[c.key] = store.person(c.key).id
        cadres.append(c)
    planner = Reminders(store, kb, rule, ReminderConfig(send_at="19:30", quiet_hours=None))
    told: dict[str, str] = {}
    for day in range(days):
        for c in cadres:
            clock.set_today(start + timedelta(days=day), at=MORNING)   # each cadre's day starts at 9:00
            c.day = day
            step = told.get(c.key, "")
            if rng.random() < c.activity or ("/practice" in step and rng.random() < FOLLOW):
                practise(dialog, c, ids[c.key])
            if ((c.takes_interview and day >= days - 10 and rng.random() < 0.15)
                    or ("/interview" in step and rng.random() < FOLLOW)):
                interview(dialog, c, ids[c.key])
        # The day's reminders, from the real planner: each names the person's one next step.
        clock.set_today(start + timedelta(days=day), at=EVENING)
        evening = clock.now()
        told = {r.key: r.text.split("下一步：", 1)[-1] if "下一步：" in r.text else "" for r in planner.due(evening)}
    exam, expected = {}, {}
    for c in cadres:
        items = sorted(facts[c.role] - c.practised)   # the facts of their curriculum they never practised
        exam[c.key] = sum(c.knows(q, practised=False) for q in items) / max(1, len(items))
        # The expected exam share, for the oracle: base chances drawn by the line above (no draw is added).
        expected[c.key] = sum(c.base(q) * (1 - SLIP) for q in items) / max(1, len(items))
    return Run(store, kb, cadres, ids, exam, start + timedelta(days=days - 1), expected)


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser()
    p.add_argument("--people", type=int, default=600)
    p.add_argument("--days", type=int, default=21)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--rule", action="append", default=None,
                   help="readiness rule file (default: config/readiness.yaml); repeat to judge the same run under "
                        "several rules, one line each, the last rule's line last (the first drives the reminders)")
    p.add_argument("--oracle", action="store_true",
                   help="also print the bound: the best cut on each cadre's expected exam share (hidden knowledge)")
    args = p.parse_args(argv)
    began = time.perf_counter()
    paths = args.rule or [None]
    run = simulate(args.people, args.days, args.seed, load_rule(paths[0]))
    answers = run.store.db.execute("select count(*), coalesce(sum(correct), 0) from quiz_answers").fetchone()
    interviews = run.store.db.execute("select count(*), coalesce(sum(score), 0) from mock_interviews").fetchone()
    # The run itself in a few figures: the same seed must print the same line (tests/test_clock_and_readiness.py).
    print(f"seed={args.seed} days={args.days} answers={answers[0]} right={answers[1]} interviews={interviews[0]} "
          f"interview_points={interviews[1]:g} exam_mean={sum(run.exam.values()) / max(1, len(run.exam)):.4f}")
    if args.oracle:
        mark = load_rule(paths[0]).min_accuracy
        cut, r = run.oracle(mark)
        print(f"oracle expected_exam>={cut:.3f} called_ready={r['called_ready']} false_ready={r['false_ready']:.3f} "
              f"unprepared_recall={r['unprepared_recall']:.3f} ready_recall={r['ready_recall']:.3f}")
    line = ""
    for path in paths:
        r = run.judge(load_rule(path))
        print(f"rule={path or 'config/readiness.yaml'} called_ready={r['called_ready']} "
              f"would_pass={r['would_pass']} would_fail={r['would_fail']} seconds={time.perf_counter() - began:.0f}")
        line = (f"people={r['people']} false_ready={r['false_ready']:.3f} "
                f"unprepared_recall={r['unprepared_recall']:.3f} ready_recall={r['ready_recall']:.3f}")
        print(line)
    return line

if __name__ == "__main__":
    main()
