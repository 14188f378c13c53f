"""Shared fixtures: the real knowledge base (loaded once), an in-memory store, and a chat harness that drives
the whole dialog through plain text, as a person would."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.dialog import Dialog
from bot.kernel.messages import Incoming, Reply
from bot.kernel.store import Store
from bot.practice.quiz import QuizMaster
from bot.qa import knowledge

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def kb() -> knowledge.KnowledgeBase:
    return knowledge.load()


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


class Chat:
    """A person chatting with the bot: ``say`` text, ``press`` a button of the last replies by label or number."""

    def __init__(self, dialog: Dialog, person: str = "cli:tester"):
        self.dialog = dialog
        self.person = person
        self.last: list[Reply] = []

    def say(self, text: str) -> list[Reply]:
        self.last = self.dialog.handle(Incoming(self.person, text=text))
        return self.last

    def press_data(self, data: str) -> list[Reply]:
        self.last = self.dialog.handle(Incoming(self.person, button=data))
        return self.last

    def buttons(self) -> list:
        return [b for r in self.last for row in r.buttons for b in row]

    def press(self, label_or_index: str | int) -> list[Reply]:
        buttons = self.buttons()
        if isinstance(label_or_index, int):
            button = buttons[label_or_index]
        else:
            button = next(b for b in buttons if label_or_index in b.label)
        return self.press_data(button.data)

    @property
    def text(self) -> str:
        return "\n".join(((r.title + "\n") if r.title else "") + r.text for r in self.last)


@pytest.fixture
def dialog(kb, store) -> Dialog:
    return Dialog(kb, store, QuizMaster(kb, store, random.Random(7)))


@pytest.fixture
def chat(dialog) -> Chat:
    return Chat(dialog)
