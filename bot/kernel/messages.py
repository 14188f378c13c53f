"""Chat-neutral messages: what a person sent (:class:`Incoming`) and what the bot says back (:class:`Reply`).

Reply text is plain text. Adapters decide how to show it (the Telegram adapter escapes it for HTML) and how to
show buttons (inline keyboard, or numbered choices in the terminal).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Telegram's limit on callback data, in bytes; the core keeps every button's data within it.
MAX_BUTTON_DATA_BYTES = 64
#: Telegram's limit on a message's text, in characters; the core keeps every reply's text within it.
MAX_TEXT_CHARS = 4096


def cut_to_fit(text: str, note: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` unchanged when it has at most ``limit`` characters; else its first whole lines that fit
    with ``note`` (a Chinese line saying what was left out and where to find it all) after them."""
    if len(text) <= limit:
        return text
    room = limit - len(note) - 2
    head = text[:room]
    head = head[:head.rfind("\n")] if "\n" in head else head
    return f"{head.rstrip()}\n{note}"


@dataclass(frozen=True)
class Button:
    """A choice the person can press: ``label`` shown, ``data`` (ASCII, ≤ 64 bytes) sent back."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if not self.data.isascii() or len(self.data.encode()) > MAX_BUTTON_DATA_BYTES:
            raise ValueError(f"button data must be ASCII of at most {MAX_BUTTON_DATA_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True)
class Incoming:
    """One message from a person.

    ``person`` is the account key (``tg:<user id>``, ``cli:<name>``); exactly one of ``text`` (typed) and
    ``button`` (the data of a pressed button) is set; ``channel`` names the adapter (``telegram``, ``terminal``).
    ``private`` is False for a message in a group chat: the dialog then only answers policy questions (and their
    suggested-entry buttons) and leaves the person's registration, practice and interviews alone.
    """

    person: str
    text: str | None = None
    button: str | None = None
    channel: str = "terminal"
    private: bool = True


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: ``kind`` is ``document`` (e.g. an .xlsx) or ``photo`` (a PNG chart)."""

    filename: str
    data: bytes
    kind: str = "document"


@dataclass(frozen=True)
class Poll:
    """A quiz question that a channel may show as a native quiz poll instead of buttons.

    ``answer_data`` is the button data prefix of the question's options: choosing option ``i`` in the poll is the
    same as pressing the button ``f"{answer_data}{i}"``. A channel that cannot show it, or whose limits it
    exceeds, uses the reply's buttons instead.
    """

    question: str
    options: list[str]
    correct: int
    explanation: str
    answer_data: str


@dataclass(frozen=True)
class Reply:
    """One message to send: optional ``title`` (shown in bold where possible), plain ``text``, rows of buttons,
    and optionally one file (``attachment``), whose caption is the text, or a native quiz ``poll``."""

    text: str
    title: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    attachment: Attachment | None = None
    poll: Poll | None = None
