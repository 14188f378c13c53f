"""Quiz sessions: which questions a person gets, how a question is shown, how an answer is judged.

Button data is ``q:<session id>:<position>:<option index>`` (short ASCII): the session and position let a press
on an old message, or a second tap, be recognised and answered clearly instead of being counted again.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from bot.kernel import figures
from bot.kernel.messages import Button, Poll, Reply
from bot.kernel.models import InterviewQuestion, QuestionType, QuizQuestion
from bot.kernel.store import Person, QuizSession, Store
from bot.practice.generate import questions_from_facts
from bot.practice.grading import fillin_correct
from bot.qa.knowledge import KnowledgeBase

SUBMIT = 99   # the option index of a multiple-choice question's submit button
DEFAULT_QUESTIONS = 5
MAX_QUESTIONS = 20
_LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class ButtonPress:
    """A parsed quiz button: session id, question position, index of the chosen option (as shown)."""

    session_id: int
    position: int
    option: int

    toggle: bool = False   # a multiple-choice toggle (``m:``) rather than an answer (``q:``)

    @classmethod
    def parse(cls, data: str) -> "ButtonPress | None":
        """Parse ``q:S:P:O`` or ``m:S:P:O``; return None for anything else."""
        parts = data.split(":")
        if len(parts) != 4 or parts[0] not in ("q", "m") or not all(p.isascii() and p.isdigit() and len(p) < 10
                                                                     for p in parts[1:]):
            return None
        return cls(int(parts[1]), int(parts[2]), int(parts[3]), parts[0] == "m")


class QuestionSource(Protocol):
    """Questions that exist per person beside the shared bank — e.g. the facts of their own village, imported by a
    coordinator. Register one with ``dialog.add_question_source``. Ids must not clash with the bank's.

    A source may also judge its own questions (both optional, both return None for questions it leaves to the
    usual judging): ``judge_fillin(question, typed) -> bool | None`` for fill-in answers (e.g. a figure within a
    tolerance; see :meth:`QuizMaster.judge`) and ``grade_interview(question, answer) -> InterviewGrade | None``
    for mock-interview answers (see :class:`bot.practice.spaced.Interviewer`)."""

    def questions_for(self, person: Person) -> list[QuizQuestion]:
        """Practice questions this person must know (empty for people it does not concern)."""
        ...

    def interview_for(self, person: Person) -> list[InterviewQuestion]:
        """Mock-interview questions for this person."""
        ...

    def question(self, question_id: str, person: Person | None = None) -> QuizQuestion | InterviewQuestion | None:
        """The question with this id, or None if it is not this source's — or, with ``person`` (whoever it is
        about to be shown to), if that person may not see it now (e.g. no longer on the roster of its village)."""
        ...

    def source_line(self, question_id: str, person: Person | None = None) -> str | None:
        """"来源：…" for one of this source's questions (e.g. the imported sheet), or None (as :meth:`question`)."""
        ...


class QuizMaster:
    """Picks questions and judges answers for one knowledge base's quiz bank.

    Args:
        kb: the knowledge base (its ``questions`` are the bank).
        store: where sessions and answers are kept.
        rng: random source (seed it in tests).
    """

    def __init__(self, kb: KnowledgeBase, store: Store, rng: random.Random | None = None):
        self.kb = kb
        self.store = store
        self.rng = rng or random.Random()
        # /quiz draws from the curated questions; practice also from those made from the knowledge base's facts.
        self.by_id = {q.id: q for q in [*kb.questions, *questions_from_facts(kb)]}
        self.sources: list[QuestionSource] = []

    def pick(self, person: Person, count: int = DEFAULT_QUESTIONS) -> list[str]:
        """Choose ``count`` question ids: never-answered first, then ones answered wrong, then the rest.

        Within each group, questions for the person's role come first, in random order.
        """
        history = self.store.question_history(person.id)

        def rank(q: QuizQuestion) -> tuple[int, int, float]:
            n, right = history.get(q.id, (0, 0))
            group = 0 if n == 0 else (1 if right < n else 2)
            for_role = 0 if (person.role and person.role in q.roles) else 1
            return group, for_role, self.rng.random()

        return [q.id for q in sorted(self.kb.questions, key=rank)[:count]]

    @property
    def bank(self) -> dict[str, QuizQuestion]:
        """Every question by id: curated ones and those made from the knowledge base's facts."""
        return self.by_id

    def options(self, session: QuizSession, question: QuizQuestion) -> list[str]:
        """Return the question's options in the order shown in this session (shuffled, stable per session)."""
        options = list(question.choices)
        if len(options) > 2:
            random.Random(f"{session.id}:{question.id}").shuffle(options)
        return options

    def ask(self, session: QuizSession, picked: list[int] | None = None, as_poll: bool = False,
            person: Person | None = None) -> Reply:
        """Return the reply that shows the session's current question.

        Single choice and true/false: one button per option (``q:S:P:I``). Multiple choice: one toggle button per
        option (``m:S:P:I``, ✅ on those in ``picked``) and a submit button (``m:S:P:99``). Fill-in: no buttons,
        the answer is typed. With ``as_poll``, single-choice and true/false questions also carry a native quiz
        :class:`Poll` (the buttons stay as the fallback). ``person``: whom it is shown to (KeyError when a source
        withholds the question from them; see :meth:`question`).
        """
        question = self.question(session.question_ids[session.position], person)
        options = self.options(session, question)
        total = len(session.question_ids)
        kind = {QuestionType.truefalse: "判断题", QuestionType.single: "单选题", QuestionType.multiple: "多选题",
                QuestionType.fillin: "填空题"}[question.type]
        lines = [f"第 {session.position + 1}/{total} 题（{kind}）", question.question]
        if question.type is QuestionType.fillin:
            lines.append("请直接输入答案（数字、日期都可以，如 0.5%、10月28日）。")
            return Reply("\n".join(lines))
        if len(options) > 2:
            lines += [f"{_LETTERS[i]}. {o}" for i, o in enumerate(options)]
        if question.type is QuestionType.multiple:
            picked = picked or []
            lines.append("可多选：点选项勾选（或直接输入字母，如 ACD），再点“提交”。")
            buttons = [[Button(f"{'✅ ' if i in picked else ''}{_LETTERS[i]}. {o}"[:60],
                               f"m:{session.id}:{session.position}:{i}")] for i, o in enumerate(options)]
            buttons.append([Button("提交", f"m:{session.id}:{session.position}:{SUBMIT}")])
            return Reply("\n".join(lines), buttons=buttons)
        buttons = [[Button(o if len(options) == 2 else f"{_LETTERS[i]}. {o}"[:60],
                           f"q:{session.id}:{session.position}:{i}")] for i, o in enumerate(options)]
        poll = None
        if as_poll:
            poll = Poll(f"第 {session.position + 1}/{total} 题：{question.question}", options,
                        options.index(question.answer), question.explanation, f"q:{session.id}:{session.position}:")
        return Reply("\n".join(lines), buttons=buttons, poll=poll)

    def judge(self, question: QuizQuestion, options: list[str], typed: str | None = None,
              indices: list[int] | None = None) -> tuple[str, bool] | None:
        """Judge an answer given as option ``indices`` (buttons) or ``typed`` text (letters, an option, a number).

        Returns:
            (the answer as text, right or wrong), or None when the text is not an answer to this question.
        """
        if question.type is QuestionType.fillin:
            if typed is None or not typed.strip():
                return None
            return typed.strip()[:200], self._fillin_correct(question, typed)
        if indices is None and typed is not None:
            indices = _letters(typed, options, several=question.type is QuestionType.multiple)
        if not indices or any(not 0 <= i < len(options) for i in indices):
            return None
        chosen = [options[i] for i in sorted(set(indices))]
        if question.type is QuestionType.multiple:
            return "、".join(chosen), set(chosen) == set(question.answer)
        if len(chosen) != 1:
            return None
        return chosen[0], chosen[0] == question.answer

    def _fillin_correct(self, question: QuizQuestion, typed: str) -> bool:
        """[villages] A per-person source may judge its own fill-in questions (``judge_fillin``, e.g. figures within
        a tolerance); every other question is judged by :func:`bot.practice.grading.fillin_correct`, as before."""
        for source in self.sources:
            judge = getattr(source, "judge_fillin", None)
            verdict = judge(question, typed) if judge is not None else None
            if verdict is not None:
                return verdict
        return fillin_correct(question, typed)

    def question(self, question_id: str, person: Person | None = None) -> QuizQuestion:
        """Return the question with ``question_id``, from the bank or a per-person source; with ``person``, only
        one that person may see now (KeyError if unknown or withheld from them)."""
        if question_id in self.by_id:
            return self.by_id[question_id]
        for source in self.sources:
            found = source.question(question_id, person)
            if isinstance(found, QuizQuestion):
                return found
        raise KeyError(question_id)

    def person_questions(self, person: Person) -> list[QuizQuestion]:
        """Return the questions that exist for this person only (e.g. their own village's facts)."""
        return [q for source in self.sources for q in source.questions_for(person)]

    def source_line(self, question: QuizQuestion, person: Person | None = None) -> str | None:
        """Return a per-person source's "来源：…" line for ``question`` (with ``person``: only if they may see it),
        or None for a bank question."""
        for source in self.sources:
            line = source.source_line(question.id, person)
            if line:
                return line
        return None


def guess_chance(question: QuizQuestion) -> float:
    """The chance (0–1) that someone who does not know the answer still gets ``question`` right, with its options
    as :meth:`QuizMaster.options` shows them (all of them): single choice with k options 1/k, true/false 1/2,
    multiple choice 1/(2**k − 1) (any non-empty set of ticks alike), fill-in 0 (nothing to pick from).

    The interview is oral, with no options; the readiness rule's ``accuracy_guessing`` uses this to tell luck
    from knowledge (see :mod:`bot.coordination.readiness`)."""
    k = len(question.choices)
    if question.type is QuestionType.fillin or k == 0:
        return 0.0
    if question.type is QuestionType.multiple:
        return 1 / (2 ** k - 1)
    return 1 / k


_TRUE_FALSE_WORDS = {"对": "正确", "错": "错误", "√": "正确", "×": "错误", "是": "正确", "否": "错误",
                     "对的": "正确", "是的": "正确", "对了": "正确", "没错": "正确", "不对": "错误", "错的": "错误",
                     "错了": "错误", "不是": "错误", "V": "正确", "X": "错误"}


def _letters(typed: str, options: list[str], several: bool) -> list[int] | None:
    """Read typed text as option indices: letters (``B``, ``A C D``, ``acd``), an option's text, the figure an
    option starts with (``98`` for ``98人``), the option's number (``2``, for one answer), or 对/错."""
    word = unicodedata.normalize("NFKC", typed).strip().upper().rstrip("。.")
    word = _TRUE_FALSE_WORDS.get(word, word)
    shown = [unicodedata.normalize("NFKC", o).strip().upper().rstrip("。.") for o in options]   # ，→, as typed
    if word in shown:
        return [shown.index(word)]
    spoken = [figures.same_numbers(o) for o in shown]   # 五十分 for the option 50分, 三户 for 3户
    if figures.has_figure(word) and spoken.count(figures.same_numbers(word)) == 1:
        return [spoken.index(figures.same_numbers(word))]
    # A figure typed on options that are figures means that figure, not an option number: "2" for "2户".
    figure = re.fullmatch(figures.NUMBER_PATTERN, word)
    if figure and not several:
        same = [i for i, o in enumerate(options) if re.match(rf"{re.escape(word)}(?!\d|\.\d)", o)]
        if len(same) == 1:   # 11 on "11月1日" and "11月20日" is no answer: fall through to option numbers
            return same
    letters = [c for c in word if c not in " ,，、"]
    if word.isascii() and word.isdigit() and len(word) <= 2 and 1 <= int(word) <= len(options) and not several:
        return [int(word) - 1]   # the option's number as shown in the terminal ([1], [2] …)
    if several and letters and all(c in "123456789"[:len(options)] for c in letters):
        return [int(c) - 1 for c in letters]   # "13" or "1 3": options 1 and 3
    if len(options) > 2 and letters and all(c in _LETTERS[:len(options)] for c in letters):
        if len(letters) == 1 or several:
            return [_LETTERS.index(c) for c in letters]
    return None
