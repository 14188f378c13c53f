"""Practice in the chat: ``/quiz``, ``/practice``, ``/interview``, ``/polls`` and ``/me``; ``q:``/``m:`` option
buttons and typed answers (letters, 对/错, fill-ins, interview answers) while a session is open; quiz polls.

Registered with the router by :func:`install`. Sessions and cards live in the store, so practice survives a
restart of the bot; a press on an old message or a second tap is recognised and answered clearly.
"""

from __future__ import annotations

import json
import re
import unicodedata

from typing import Callable

from bot.kernel import figures
from bot.kernel.messages import Incoming, Reply
from bot.kernel.models import InterviewQuestion, QuestionType, QuizQuestion
from bot.kernel.roles import Role
from bot.kernel.router import Router
from bot.kernel.store import NotFoundError, Person, QuizSession, Store, utcnow
from bot.qa.answers import Answerer

from .progress import me_text
from .quiz import (
    DEFAULT_QUESTIONS,
    MAX_QUESTIONS,
    SUBMIT,
    ButtonPress,
    QuestionSource,
    QuizMaster,
)
from .spaced import Curriculum, Interviewer, Practice, mark_shown, seconds_since_shown

_QUESTION_WORDS = re.compile(r"[？?]|多少|什么|怎么|哪|吗|呢|谁|几")
MAX_INTERVIEW_ANSWER_CHARS = 2000
MAX_TYPED_OPTION_CHARS = 60
WITHHELD = ("本组里有 {n} 道村情题已去掉：村情只给本村的人看（协调员导入名册后，只给名册上本村的人看），"
            "您现在不能再看那个村的村情。")

HELP = [(10, "• /practice 按您的角色练习：到期复习的题、新题、以前答错的题（间隔重复）"),
        (20, "• /interview 模拟访谈：我扮演评估组提问，按要点给您的回答打分"),
        (30, "• /quiz 做一组练习题（/quiz 10 做10题），每题讲解，最后给分数"),
        (40, "• /me 看自己的练习情况和薄弱指标"),
        (60, "• /polls on 在 Telegram 里用原生答题投票出题（/polls off 改回按钮）")]


def _ended(previous: QuizSession | None) -> str:
    """What a new /practice or /interview says of the session it ends (an unfinished interview is not scored)."""
    if previous is None:
        return ""
    if previous.mode == "interview":
        return "上一次模拟访谈没有答完，已结束，不计分（已答的题都有记录）。"
    return "上一组练习已结束，答过的题都已记录。"


#: Something to grade: a Chinese character, or a bare figure (150, 0.5%); not only emoji, punctuation or markup.
_RE_WORDS = re.compile(r"[\u4e00-\u9fff]")
_RE_FIGURE_ONLY = re.compile(r"^\s*[0-9０-９][0-9０-９.,，%％\s]*$")


def looks_like_a_question(text: str, question: QuizQuestion) -> bool:
    """During a fill-in, is ``text`` a policy question rather than an answer? Only when the expected answer has a
    figure and the text has none, and reads as a question (多少, 什么, ？ …)."""
    wants_figure = any(c.isdigit() for c in question.answer_text)
    return wants_figure and not figures.has_figure(text) and bool(_QUESTION_WORDS.search(text))


class PracticeChat:
    """Quizzes, spaced-repetition practice and mock interviews over one knowledge base and store.

    Args:
        router: the dialog router (its store; what starting a session interrupts).
        answerer: for the source line of a question's knowledge entry.
        quizmaster: picks, shows and judges questions (tests pass a seeded one).
    """

    def __init__(self, router: Router, answerer: Answerer, quizmaster: QuizMaster):
        self.router = router
        self.store: Store = router.store
        self.kb = answerer.kb
        self.answerer = answerer
        self.quiz = quizmaster
        self.curriculum = Curriculum(self.kb, self.quiz.bank)
        self.practice = Practice(self.store, self.curriculum, rng=self.quiz.rng)
        self.interviewer = Interviewer(self.kb, self.store, rng=self.quiz.rng)
        self.practice.extra = self.quiz.person_questions
        #: The mock-interview mark (0–100) readiness asks for, or None; set by the coordination feature, which owns
        #: the rule (the end of an interview says it; without it, no mark is claimed).
        self.interview_mark: Callable[[], float | None] = lambda: None

    def add_question_source(self, source: QuestionSource) -> None:
        """Add per-person questions (e.g. village fact cards) to practice, interviews and quizzes' lookups."""
        self.quiz.sources.append(source)
        self.interviewer.sources.append(source)

    def source_line(self, question: QuizQuestion | InterviewQuestion, person: Person | None = None) -> str:
        """"来源：…" for a question: its knowledge entry in the plan, or the per-person source that made it (with
        ``person``: only a source that still shows that person the question)."""
        entry = self.kb.by_id.get(question.entry)
        if entry is not None:
            return self.answerer.source_line(entry)
        return next((line for src in self.quiz.sources if (line := src.source_line(question.id, person))),
                    "来源：导入的资料")

    # --- who may still see a session's questions (issue 13: checked on every message, not only at /village)
    def _shown_to(self, person: Person, question_id: str) -> bool:
        """True when ``question_id`` may be shown to ``person`` now: a bank question always, a per-person one only
        while its source gives it to them (a village's, while they may read that village)."""
        if question_id in self.quiz.by_id or question_id in self.interviewer.by_id:
            return True
        return any(src.question(question_id, person) is not None for src in self.quiz.sources)

    def _withhold(self, person: Person, session: QuizSession) -> tuple[QuizSession, Reply | None]:
        """Drop from the open ``session`` every question still to come that ``person`` may no longer see (e.g. a
        roster imported since does not list them in that village); answers already given stay recorded.

        Returns:
            the session as it now stands (``status`` ``cancelled`` when nothing is left to ask), and a Chinese line
            saying what was dropped — None when nothing was.
        """
        rest = session.question_ids[session.position:]
        kept = [q for q in rest if self._shown_to(person, q)]
        if len(kept) == len(rest):
            return session, None
        ids = json.dumps(session.question_ids[:session.position] + kept)
        ended = not kept
        self.store.write(lambda: self.store.db.execute(
            "update quiz_sessions set question_ids = ?, status = ?, finished_at = ? where id = ? and status = 'open'",
            [ids, "cancelled" if ended else "open", utcnow() if ended else None, session.id]))
        note = WITHHELD.format(n=len(rest) - len(kept))
        if ended:
            done = f"已作答 {session.position} 题，都已记录" if session.position else "还没有作答"
            note += f"\n本组练习已结束（{done}）。发送 /practice 继续练习，或 /interview 模拟访谈。"
        return self.store.session(session.id), Reply(note)

    def _checked(self, person: Person, session: QuizSession,
                 go_on: Callable[[QuizSession], "list[Reply] | None"]) -> list[Reply] | None:
        """:meth:`_withhold`, then ``go_on(session)`` (the answer judged, the button handled) with the line in
        front — unless the question the person was looking at is gone: then the line and the next question, if
        any, and nothing is judged."""
        before = session.question_ids[session.position]
        session, note = self._withhold(person, session)
        if note is None:
            return go_on(session)
        if session.status != "open":
            return [note]
        if session.question_ids[session.position] != before:
            return [note, self.ask(session)]
        replies = go_on(session)
        return [note, *replies] if replies is not None else [note, self.ask(session)]

    # --- commands
    def start_quiz(self, person: Person, arg: str) -> list[Reply]:
        """``/quiz [N]``: N questions (default 5) with buttons, each explained, a score at the end."""
        count = DEFAULT_QUESTIONS
        if arg:
            digits = unicodedata.normalize("NFKC", arg)
            if not (digits.isascii() and digits.isdigit() and len(digits) <= 3) or not 1 <= int(digits) <= MAX_QUESTIONS:
                return [Reply(f"题数请写 1 到 {MAX_QUESTIONS} 之间的数字，比如 /quiz 10。")]
            count = int(digits)
        if not self.kb.questions:
            return [Reply("题库还是空的，请联系管理员。")]
        previous = self.store.open_session(person.id)
        ids = self.quiz.pick(person, count)
        session = self.store.start_session(person.id, ids)
        restarted = self.router.interrupt(person) + (
            f"上一组练习已结束（答对 {previous.correct}/{previous.position} 题，已记录）。" if previous else "")
        intro = Reply(f"{restarted}开始练习，共 {len(ids)} 题。点选项或输入字母作答，发送 /cancel 随时结束。")
        return [intro, self.ask(session)]

    def start_practice(self, person: Person, arg: str) -> list[Reply]:
        """``/practice``: the person's curriculum by spaced repetition: due cards, new questions, earlier misses."""
        role = Role(person.role) if person.role else None
        ids = self.practice.pick(person)
        if not ids:
            return [Reply("今天没有到期要复习的题了，明天再来！也可以发送 /quiz 做一组新题，或 /interview 模拟访谈。")]
        previous = self.store.open_session(person.id)
        session = self.store.start_session(person.id, ids, mode="practice")
        due = self.practice.revisits(person.id, ids)
        whose = f"{role.label}必须掌握的内容" if role else "全部内容（发送 /start 登记角色后按角色出题）"
        restarted = self.router.interrupt(person) + _ended(previous)
        intro = Reply(f"{restarted}练习：{whose}。本组 {len(ids)} 题（其中 {due} 道是到期复习或以前答错的）。"
                      "答错的题会更快再出现，答对的间隔越来越长。发送 /cancel 随时结束。")
        return [intro, self.ask(session)]

    def start_interview(self, person: Person, arg: str) -> list[Reply]:
        """``/interview``: 5–8 open questions for the person's role, graded by key points."""
        if not person.registered or not person.role:
            return [Reply("模拟访谈按角色出题，请先发送 /start 登记您的角色。")]
        ids = self.interviewer.pick(person)
        if not ids:
            return [Reply("还没有为您的角色准备模拟访谈题。可以先发送 /practice 练习。")]
        previous = self.store.open_session(person.id)
        self.store.start_session(person.id, ids, mode="interview")
        session = self.store.open_session(person.id)
        ended = self.router.interrupt(person) + _ended(previous)
        intro = Reply(f"{ended}模拟访谈开始：我扮演评估组，按“{Role(person.role).label}”的访谈要求问您 {len(ids)} 个问题。"
                      "每题直接输入回答，我按要点打分并告诉您漏了什么。发送 /cancel 随时结束。")
        return [intro, self.ask(session)]

    def me(self, person: Person, arg: str) -> list[Reply]:
        """``/me``: the person's answers, weakest indicators, cards and best mock interview."""
        return [Reply(me_text(self, person))]

    def polls(self, person: Person, arg: str) -> list[Reply]:
        """``/polls on|off``: choice questions as Telegram quiz polls, or as buttons."""
        choice = arg.strip().lower()
        if choice not in ("on", "off", "开", "关"):
            state = "开" if self.wants_polls(person.id) else "关"
            return [Reply(f"投票答题现在是“{state}”。发送 /polls on 用 Telegram 原生答题投票出题，/polls off 改回按钮。"
                          "（只在 Telegram 私聊里有效；终端里总是按钮。）")]
        on = choice in ("on", "开")
        self.store.db["people"].update(person.id, {"use_polls": int(on)})
        return [Reply("已改为用答题投票出选择题和判断题。" if on else "已改回用按钮出题。")]

    def wants_polls(self, person_id: int) -> bool:
        """True when the person asked for quiz polls (``/polls on``)."""
        row = self.store.db.execute("select use_polls from people where id = ?", [person_id]).fetchone()
        return bool(row and row[0])

    def cancel(self, person: Person) -> str | None:
        """``/cancel`` during a session: end it (answers stay recorded) and say so; None when none is open."""
        session = self.store.open_session(person.id)
        if session is None:
            return None
        self.store.cancel_session(session.id)
        what = "模拟访谈" if session.mode == "interview" else "练习"
        done = f"已作答 {session.position} 题，都已记录" if session.position else "还没有作答"
        unscored = "没有答完的模拟访谈不计分，也不算做过模拟访谈。" if session.mode == "interview" else ""
        return f"已结束本次{what}（{done}）。{unscored}随时发送 /practice、/interview 或 /quiz 再练。"

    # --- typed answers and buttons
    def typed_answer(self, person: Person, text: str, channel: str) -> list[Reply] | None:
        """Read typed text as the answer to the open session's current question; None if it is not one."""
        session = self.store.open_session(person.id)
        if session is None or not text:
            return None
        return self._checked(person, session, lambda current: self._typed(person, current, text))

    def _typed(self, person: Person, session: QuizSession, text: str) -> list[Reply] | None:
        if session.mode == "interview":
            if len(text) > MAX_INTERVIEW_ANSWER_CHARS:
                return [Reply(f"回答太长了，请控制在{MAX_INTERVIEW_ANSWER_CHARS}字以内，挑要点说。")]
            if not _RE_WORDS.search(text) and not _RE_FIGURE_ONLY.match(text):   # 👍, <b>, ?? : nothing to grade
                return [Reply("没看到文字内容。请用文字回答这道题（说出要点即可），这题还没有计分。"), self.ask(session)]
            return self._interview_answer(person, session, text)
        question = self.quiz.question(session.question_ids[session.position], person)
        if len(text) > MAX_TYPED_OPTION_CHARS:
            return None
        if question.type is QuestionType.multiple and text in ("提交", "确定", "好了"):
            return self._toggle(person, session, SUBMIT, len(question.choices))
        if question.type is QuestionType.fillin and looks_like_a_question(text, question):
            return None   # answered as a question, and the fill-in is shown again
        judged = self.quiz.judge(question, self.quiz.options(session, question), typed=text)
        if judged is None:
            if len(text) <= 3 and text.isascii():   # 5, AB, x: a slip, not a question for the knowledge base
                return [Reply("没有这个选项，请重新选择。"), self.ask(session)]
            return None
        return self._record(person, session, *judged)

    def still_open(self, person: Person) -> list[Reply]:
        """After a policy answer during a session: say it is still open and show its question again."""
        session = self.store.open_session(person.id)
        if session is None:
            return []
        session, note = self._withhold(person, session)
        if note is not None and session.status != "open":
            return [note]
        hint = ("模拟访谈还在进行中：直接输入回答" if session.mode == "interview"
                else "练习还在进行中：点选项，或输入选项字母、“对”“错”、填空答案作答")
        return [Reply(f"（{hint}；发送 /cancel 结束。）"), *([note] if note else []), self.ask(session)]

    def button(self, person: Person, data: str, channel: str) -> list[Reply]:
        """A ``q:``/``m:`` option button: the answer to (or a tick on) the current question of its session."""
        press = ButtonPress.parse(data)
        if press is None:
            return [Reply("这个按钮已经失效了。发送 /help 查看可以做什么。")]
        try:
            session = self.store.session(press.session_id)
        except NotFoundError:
            session = None
        if session is None or session.person_id != person.id:
            return [Reply("这道题不是您当前的练习。发送 /practice 或 /quiz 开始新的练习。")]
        if session.status != "open":
            return [Reply("这次练习已经结束了。发送 /practice 继续练习，或 /quiz 做一组新题。")]
        if press.position < session.position:
            return [Reply("这道题已经答过了，答案已记录。请看下面最新的题目。")]
        if press.position > session.position or session.mode == "interview":
            return [Reply("这个按钮已经失效了。"), self.ask(session)]
        return self._checked(person, session, lambda current: self._pressed(person, current, press)) or []

    def _pressed(self, person: Person, session: QuizSession, press: ButtonPress) -> list[Reply]:
        question = self.quiz.question(session.question_ids[session.position], person)
        options = self.quiz.options(session, question)
        if press.toggle:
            return self._toggle(person, session, press.option, len(options))
        judged = self.quiz.judge(question, options, indices=[press.option])
        if judged is None:
            return [Reply("这个选项无效，请重新选择。"), self.ask(session)]
        return self._record(person, session, *judged)

    def _toggle(self, person: Person, session: QuizSession, option: int, count: int) -> list[Reply]:
        """Tick or untick one option of a multiple-choice question, or submit the ticked ones."""
        state = self.store.get_state(person.id)
        pick = state.get("pick") or {}
        picked: list[int] = pick.get("i", []) if pick.get("at") == [session.id, session.position] else []
        if option == SUBMIT:
            if not picked:
                return [Reply("还没有勾选任何选项。"), self.ask(session, picked)]
            question = self.quiz.question(session.question_ids[session.position], person)
            judged = self.quiz.judge(question, self.quiz.options(session, question), indices=picked)
            assert judged is not None
            return self._record(person, session, *judged)
        if not 0 <= option < count:
            return [Reply("这个选项无效，请重新选择。"), self.ask(session, picked)]
        picked = sorted(set(picked) ^ {option})
        self.store.set_state(person.id, {**state, "pick": {"at": [session.id, session.position], "i": picked}})
        return [self.ask(session, picked)]

    def ask(self, session: QuizSession, picked: list[int] | None = None) -> Reply:
        """Show the session's current question (quiz or interview) and note when it was shown."""
        mark_shown(self.store, session.id)
        person = self.store.person_by_id(session.person_id)
        if session.mode == "interview":
            question = self.interviewer.question(session.question_ids[session.position], person)
            return Reply(f"模拟访谈 第 {session.position + 1}/{len(session.question_ids)} 题\n评估组问：{question.question}\n"
                         "请直接输入您的回答，像面对评估组一样把要点说完整。")
        return self.quiz.ask(session, picked, as_poll=self.wants_polls(person.id), person=person)

    def _record(self, person: Person, session: QuizSession, chosen: str, correct: bool) -> list[Reply]:
        """Record an answer to the current question, rate the card in practice, and show the next question."""
        question = self.quiz.question(session.question_ids[session.position], person)
        seconds = seconds_since_shown(self.store, session.id)
        card = (lambda: self.practice.review_in_transaction(person.id, question.id, correct, seconds)) \
            if session.mode == "practice" else None   # the card commits with the answer (issue 13)
        updated = self.store.record_answer(session, chosen, correct, also=card)
        if updated is None:
            return [Reply("这道题已经答过了，答案已记录。")]
        state = self.store.get_state(person.id)
        if "pick" in state:
            self.store.set_state(person.id, {k: v for k, v in state.items() if k != "pick"})
        verdict = "✅ 回答正确！" if correct else f"❌ 回答错误。正确答案：{question.answer_text}"
        replies = [Reply(f"{verdict}\n{question.explanation}\n{self.source_line(question, person)}")]
        replies.append(self._summary(updated) if updated.status == "finished" else self.ask(updated))
        return replies

    def _summary(self, session: QuizSession) -> Reply:
        total = len(session.question_ids)
        pct = 100 * session.correct / total
        comment = "很熟悉了！" if pct >= 90 else ("还需要再巩固。" if pct >= 60 else "要多练习，访谈时这些最容易失分。")
        again = "/practice 继续练习" if session.mode == "practice" else "/quiz 再练一组"
        return Reply(f"练习结束：答对 {session.correct}/{total} 题（{pct:.0f}分）。{comment}\n"
                     f"发送 {again}，/me 查看薄弱指标。")

    def _interview_answer(self, person: Person, session: QuizSession, text: str) -> list[Reply]:
        question = self.interviewer.question(session.question_ids[session.position], person)
        result = self.interviewer.answer(session, text)
        if result is None:
            return [Reply("这道题已经答过了。")]
        grade, updated = result
        lines = [f"本题得分：{grade.score:.0f} 分（答到 {len(grade.covered)}/{len(question.key_points)} 个要点）"]
        if grade.too_long:
            lines.append("回答太长了：访谈时要简明扼要、答到要点，超长的回答本题最多 60 分。")
        lines += [f"✅ {p.point}" for p in grade.covered]
        lines += [f"❌ 说错了：{p.point}（您说的是 {grade.wrong[p.point]}）" if p.point in grade.wrong
                  else f"❌ 漏了：{p.point}" for p in grade.missed]
        if grade.missed:
            lines.append(f"参考答案：{question.model_answer}")
        lines.append(self.source_line(question, person))
        replies = [Reply("\n".join(lines))]
        if updated.status == "finished":
            score = self.interviewer.session_score(updated.id)
            missed = self.interviewer.missed_points(updated.id)
            mark = self.interview_mark()
            summary = [f"模拟访谈结束：平均 {score:.0f} 分" + (f"（准备好的要求：近期模拟访谈平均 ≥ {mark:g} 分，"
                                                            "发送 /me 看各项是否达标）。" if mark is not None else "。")]
            if missed:
                summary.append("要补的要点：" + "；".join(p for _, p in missed[:6]))
            summary.append("发送 /interview 再来一次，/practice 针对薄弱项练习。")
            replies.append(Reply("\n".join(summary)))
        else:
            replies.append(self.ask(updated))
        return replies

    # --- quiz polls (Telegram)
    def remember_poll(self, poll_id: str, person_key: str, answer_data: str) -> None:
        """Record that quiz poll ``poll_id`` (sent to ``person_key``) stands for the buttons ``answer_data<i>``."""
        person = self.store.person(person_key)
        self.store.db["polls"].upsert({"poll_id": poll_id, "person_id": person.id, "answer_data": answer_data,
                                       "sent_at": utcnow()}, pk="poll_id")

    def poll_answer(self, poll_id: str, person_key: str, option: int) -> list[Reply]:
        """Handle a person's answer to a quiz poll as the press of the matching button; unknown polls get a
        clear reply."""
        row = next(self.store.db["polls"].rows_where("poll_id = ?", [poll_id]), None)
        person = self.store.person(person_key)
        if row is None or row["person_id"] != person.id:
            return [Reply("这个投票已经失效了。发送 /practice 继续练习。")]
        return self.router.handle(Incoming(person_key, button=f"{row['answer_data']}{option}", channel="telegram"))


def install(router: Router, answerer: Answerer, quizmaster: QuizMaster) -> PracticeChat:
    """Register the practice commands, option buttons, typed answers and follow-ups; return the feature."""
    chat = PracticeChat(router, answerer, quizmaster)
    commands = {"quiz": chat.start_quiz, "practice": chat.start_practice, "interview": chat.start_interview,
                "me": chat.me, "polls": chat.polls}
    for name, handler in commands.items():
        router.command(name, handler)
    for order, line in HELP:
        router.help_line(line, order)
    router.button("q:", chat.button)
    router.button("m:", chat.button)
    router.state(chat.typed_answer)
    router.follow_up(chat.still_open)
    router.on_cancel(chat.cancel, order=10)
    return chat
