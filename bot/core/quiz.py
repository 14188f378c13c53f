"""Quiz sessions: which questions a person gets, how a question is shown, how an answer is judged.

Button data is ``q:<session id>:<position>:<option index>`` (short ASCII): the session and position let a press
on an old message, or a second tap, be recognised and answered clearly instead of being counted again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .knowledge import KnowledgeBase
from .messages import Button, Reply
from .models import QuizQuestion
from .store import Person, QuizSession, Store

DEFAULT_QUESTIONS = 5
MAX_QUESTIONS = 20
_LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class ButtonPress:
    """A parsed quiz button: session id, question position, index of the chosen option (as shown)."""

    session_id: int
    position: int
    option: int

    @classmethod
    def parse(cls, data: str) -> "ButtonPress | None":
        """Parse ``q:S:P:O``; return None for anything else."""
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != "q" or not all(p.isdigit() for p in parts[1:]):
            return None
        return cls(int(parts[1]), int(parts[2]), int(parts[3]))


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
        self.by_id = {q.id: q for q in kb.questions}

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

    def options(self, session: QuizSession, question: QuizQuestion) -> list[str]:
        """Return the question's options in the order shown in this session (shuffled, stable per session)."""
        options = list(question.choices)
        if len(options) > 2:
            random.Random(f"{session.id}:{question.id}").shuffle(options)
        return options

    def ask(self, session: QuizSession) -> Reply:
        """Return the reply that shows the session's current question with one button per option."""
        question = self.by_id[session.question_ids[session.position]]
        options = self.options(session, question)
        total = len(session.question_ids)
        lines = [f"第 {session.position + 1}/{total} 题（{'判断题' if len(options) == 2 else '单选题'}）",
                 question.question]
        if len(options) > 2:
            lines += [f"{_LETTERS[i]}. {o}" for i, o in enumerate(options)]
        buttons = [[Button(o if len(options) == 2 else f"{_LETTERS[i]}. {o}"[:60],
                           f"q:{session.id}:{session.position}:{i}")] for i, o in enumerate(options)]
        return Reply("\n".join(lines), buttons=buttons)

    def question(self, question_id: str) -> QuizQuestion:
        """Return the question with ``question_id`` (KeyError if unknown)."""
        return self.by_id[question_id]
