"""The dialog router: one :class:`Incoming` in, a list of :class:`Reply` out, by a table that features fill.

The router only dispatches; it knows no feature. Each feature hands it, in its own ``install`` function:

* commands (``/name arg``) — :meth:`Router.command`, with a help line;
* button data prefixes (``q:``, ``kb:`` …) — :meth:`Router.button` (``public`` ones also work in groups);
* free-text states (a registration step, an open quiz) — :meth:`Router.state`: tried in order, the first that
  takes the text answers it;
* the handler of any other text (the policy Q&A) — :meth:`Router.fallback`, and follow-ups that may add to its
  replies (the open quiz question shown again) — :meth:`Router.follow_up`;
* what ``/cancel`` and starting something new should end — :meth:`Router.on_cancel`, :meth:`Router.on_interrupt`.

So adding a feature adds a module and touches no other. All state lives in the store: a restart loses nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from .messages import Incoming, Reply
from .store import Person, Store

#: ``handler(person, argument text)`` → replies.
CommandHandler = Callable[[Person, str], list[Reply]]
#: ``handler(person, button data, channel)`` → replies.
ButtonHandler = Callable[[Person, str, str], list[Reply]]
#: ``handler(person, text, channel)`` → replies, or None when the text is not for this state.
StateHandler = Callable[[Person, str, str], "list[Reply] | None"]
#: ``handler(person, text, channel)`` → replies.
TextHandler = Callable[[Person, str, str], list[Reply]]
#: ``hook(person)`` → a sentence saying what was ended, or None when there was nothing to end.
EndHook = Callable[[Person], "str | None"]


def clean(text: str) -> str:
    """Drop control, format (zero-width) and undecodable characters (keeping line breaks) and surrounding blanks."""
    text = text.encode("utf-8", "replace").decode("utf-8")   # lone surrogates from undecodable input bytes
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip()


@dataclass(frozen=True)
class HelpLine:
    """One line of ``/help``: ``order`` sorts the lines (lower first), ``text`` is shown."""

    order: int
    text: str


class Router:
    """The table of commands, buttons and free-text states, and the dispatch over it.

    Args:
        store: the database (people are looked up by their account key).
        intro: the first line of ``/help``.
    """

    def __init__(self, store: Store, intro: str = ""):
        self.store = store
        self.intro = intro
        self.commands: dict[str, CommandHandler] = {}
        self._buttons: list[tuple[str, ButtonHandler]] = []
        self._public_buttons: set[str] = set()
        self._states: list[StateHandler] = []
        self._fallback: TextHandler | None = None
        self._follow_ups: list[Callable[[Person], list[Reply]]] = []
        self._cancel: list[tuple[int, EndHook]] = []
        self._interrupt: list[EndHook] = []
        self._help: list[HelpLine] = []

    # --- registration by features
    def command(self, name: str, handler: CommandHandler, help: str | None = None, order: int = 50) -> None:
        """Register ``/name`` (replacing an existing one) and, optionally, its ``/help`` line at ``order``."""
        self.commands[name] = handler
        if help:
            self.help_line(help, order)

    def help_line(self, text: str, order: int = 50) -> None:
        """Add a line to ``/help`` (lines are shown by ``order``, then in the order added)."""
        self._help.append(HelpLine(order, text))

    def button(self, prefix: str, handler: ButtonHandler, public: bool = False) -> None:
        """Send button data starting with ``prefix`` to ``handler`` (the longest matching prefix wins); ``public``
        buttons also work in group chats (see :meth:`handle`)."""
        self._buttons.append((prefix, handler))
        self._buttons.sort(key=lambda item: -len(item[0]))
        if public:
            self._public_buttons.add(prefix)

    def state(self, handler: StateHandler) -> None:
        """Offer free text to ``handler`` before the fallback; it returns None to pass it on."""
        self._states.append(handler)

    def fallback(self, handler: TextHandler) -> None:
        """Answer any text no state took (the policy Q&A)."""
        self._fallback = handler

    def follow_up(self, hook: Callable[[Person], list[Reply]]) -> None:
        """Add ``hook(person)``'s replies after every fallback answer (e.g. the open question shown again)."""
        self._follow_ups.append(hook)

    def on_cancel(self, hook: EndHook, order: int = 50) -> None:
        """``/cancel`` asks every hook (by ``order``) to end what it keeps open; the first that ended something
        answers."""
        self._cancel.append((order, hook))
        self._cancel.sort(key=lambda item: item[0])

    def on_interrupt(self, hook: EndHook) -> None:
        """Starting something new (a quiz, an interview) asks each hook to end an unfinished step quietly."""
        self._interrupt.append(hook)

    # --- used by features
    @property
    def help_text(self) -> str:
        """The ``/help`` text: the intro, then every feature's line by order."""
        lines = [h.text for h in sorted(self._help, key=lambda h: h.order)]
        return "\n".join([self.intro, *lines] if self.intro else lines)

    def interrupt(self, person: Person) -> str:
        """End unfinished steps (see :meth:`on_interrupt`); return the notes saying what was ended, joined."""
        return "".join(note for hook in self._interrupt if (note := hook(person)))

    def cancel(self, person: Person) -> str | None:
        """Run the cancel hooks; return the first note, or None when nothing was open."""
        notes = [note for _, hook in self._cancel if (note := hook(person))]
        return notes[0] if notes else None

    # --- dispatch
    def handle(self, msg: Incoming) -> list[Reply]:
        """Handle one message and return the replies to send, in order. Never raises for user input."""
        person = self.store.person(msg.person)
        if msg.button is not None:
            for prefix, handler in self._buttons:
                if msg.button.startswith(prefix):
                    if not msg.private and prefix not in self._public_buttons:
                        return [Reply("这个按钮只在私聊里有效。")]
                    return handler(person, msg.button, msg.channel)
            return [Reply("这个按钮已经失效了。发送 /help 查看可以做什么。")]
        text = clean(msg.text or "")
        if not msg.private:
            # A group chat: a policy question, nothing else. The person's registration, practice and interview
            # (their private chat's) are neither read nor changed, and no open question is shown in the group.
            return self.answer(person, text, msg.channel, follow_ups=False)
        if text.startswith("/"):
            command, _, arg = text[1:].partition(" ")
            command = command.split("@", 1)[0].lower()   # /quiz@ShuxiBot in groups
            handler = self.commands.get(command)
            if handler is None:
                return [Reply(f"不认识这个命令。\n\n{self.help_text}")]
            return handler(person, arg.strip())
        for state in self._states:
            replies = state(person, text, msg.channel)
            if replies is not None:
                return replies
        return self.answer(person, text, msg.channel)

    def answer(self, person: Person, text: str, channel: str, follow_ups: bool = True) -> list[Reply]:
        """Answer ``text`` with the fallback, then (unless ``follow_ups`` is False) the follow-ups."""
        if self._fallback is None:
            return [Reply(self.help_text)]
        replies = self._fallback(person, text, channel)
        for hook in self._follow_ups if follow_ups else ():
            replies += hook(person)
        return replies
