"""The dialog: the router with every chat feature installed — one :class:`Incoming` in, a list of :class:`Reply`
out. No chat service is known here; the terminal, Telegram and web adapters all call :meth:`Dialog.handle`.

The router (:mod:`bot.kernel.router`) only dispatches. Each feature registers its own commands, buttons and
free-text states in its ``install`` function: registration (:mod:`bot.registration`), policy Q&A
(:mod:`bot.qa.chat`), practice (:mod:`bot.practice.chat`); village cards, coordinator commands and reminders are
installed on top by :func:`bot.cli.make_dialog`. This module only wires them and adds ``/help`` and ``/cancel``.
"""

from __future__ import annotations

from bot import registration
from bot.kernel.messages import Incoming, Reply
from bot.kernel.router import CommandHandler, Router
from bot.kernel.store import Person, Store
from bot.practice import chat as practice_chat
from bot.practice.quiz import QuestionSource, QuizMaster
from bot.qa import chat as qa_chat
from bot.qa.answers import Answerer
from bot.qa.knowledge import KnowledgeBase

INTRO = "我是“熟悉”，帮您准备巩固脱贫成果后评估的访谈。"
NOTHING_OPEN = "现在没有进行中的登记或练习。可以直接提问，或发送 /quiz 做练习。"


class Dialog:
    """The bot's conversation over one knowledge base and one store.

    Args:
        kb: the loaded knowledge base (entries and quiz bank).
        store: the database.
        quizmaster: optional, to inject a seeded one in tests.
    """

    def __init__(self, kb: KnowledgeBase, store: Store, quizmaster: QuizMaster | None = None):
        self.kb = kb
        self.store = store
        self.answerer = Answerer(kb)
        self.router = Router(store, intro=INTRO)
        self.registration = registration.install(self.router, self.answerer)
        self.qa = qa_chat.install(self.router, self.answerer)
        self.practicing = practice_chat.install(self.router, self.answerer, quizmaster or QuizMaster(kb, store))
        self.router.command("help", lambda person, arg: [Reply(self.router.help_text)])
        self.router.command("cancel", self._cancel, help="• /cancel 取消当前的登记或练习", order=90)

    def handle(self, msg: Incoming) -> list[Reply]:
        """Handle one message and return the replies to send, in order. Never raises for user input."""
        return self.router.handle(msg)

    def add_command(self, name: str, handler: CommandHandler, help: str | None = None, order: int = 50) -> None:
        """Register ``/name`` (``handler(person, argument text)`` returns the replies), with an optional ``/help``
        line at ``order``. Replaces an existing one."""
        self.router.command(name, handler, help, order)

    def add_question_source(self, source: QuestionSource) -> None:
        """Add per-person questions (e.g. village fact cards) to practice, interviews and quizzes' lookups."""
        self.practicing.add_question_source(source)

    @property
    def commands(self) -> dict[str, CommandHandler]:
        """The command table, by name."""
        return self.router.commands

    @property
    def help_text(self) -> str:
        """What ``/help`` shows."""
        return self.router.help_text

    # The practice feature's parts, for the channels and tests that reach into them.
    @property
    def quiz(self) -> QuizMaster:
        return self.practicing.quiz

    @property
    def practice(self):
        return self.practicing.practice

    @property
    def interviewer(self):
        return self.practicing.interviewer

    @property
    def curriculum(self):
        return self.practicing.curriculum

    def remember_poll(self, poll_id: str, person_key: str, answer_data: str) -> None:
        """See :meth:`bot.practice.chat.PracticeChat.remember_poll`."""
        self.practicing.remember_poll(poll_id, person_key, answer_data)

    def poll_answer(self, poll_id: str, person_key: str, option: int) -> list[Reply]:
        """See :meth:`bot.practice.chat.PracticeChat.poll_answer`."""
        return self.practicing.poll_answer(poll_id, person_key, option)

    def _cancel(self, person: Person, arg: str) -> list[Reply]:
        return [Reply(self.router.cancel(person) or NOTHING_OPEN)]
