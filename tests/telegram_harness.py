"""Drive the real python-telegram-bot Application offline, as Telegram would: updates go into the application's
update queue and through its update processor (concurrent, per person ordered), replies go to the strict
:class:`~tests.fake_bot_api.FakeBotAPI`. One event loop lives as long as the harness."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.adapters.telegram import build_application

from .fake_bot_api import BOT_USER, FakeBotAPI

USER = {"id": 4242, "is_bot": False, "first_name": "小_王"}
CHAT = {"id": 4242, "type": "private"}
GROUP = {"id": -100777, "type": "supergroup", "title": "嘉积镇工作群"}


class Harness:
    """One bot, started. ``send`` and ``press`` return the ``sendMessage`` parameters the update caused.

    Args:
        dialog: the dialog behind the bot.
        api: the fake Bot API (default: a new one with no delay).
        build: more arguments for :func:`build_application`.
    """

    def __init__(self, dialog, api: FakeBotAPI | None = None, **build: Any):
        self.api = api or FakeBotAPI()
        self.app = build_application("123456:TEST-TOKEN", dialog, request=self.api, **build)
        self.update_id = 0
        self.message_id = 0
        self.loop = asyncio.new_event_loop()
        self.run(self._start())

    def run(self, coroutine):
        """Run a coroutine in the harness's event loop and return its result."""
        return self.loop.run_until_complete(coroutine)

    async def _start(self):
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.start()

    def close(self) -> None:
        """Stop the application and close the loop."""
        async def stop():
            await self.app.stop()
            await self.app.shutdown()
        self.run(stop())
        self.loop.close()

    # --- building updates -----------------------------------------------------------------------------------
    def update(self, payload: dict) -> Update:
        """An ``Update`` with the next update id."""
        self.update_id += 1
        return Update.de_json({"update_id": self.update_id, **payload}, self.app.bot)

    def message(self, text: str, *, user: dict = USER, chat: dict = CHAT, reply_to: dict | None = None,
                entities: list[dict] | None = None) -> dict:
        """The ``message`` of a person typing ``text`` (a leading /command is marked as one)."""
        self.message_id += 1
        message: dict[str, Any] = {"message_id": self.message_id, "date": 0, "chat": chat, "from": user,
                                   "text": text}
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    # --- feeding updates -----------------------------------------------------------------------------------
    def feed(self, *payloads: dict) -> None:
        """Put updates into the application's queue at once and wait until all are processed."""
        async def go():
            for payload in payloads:
                await self.app.update_queue.put(self.update(payload))
            await self.app.update_queue.join()
        self.run(go())

    def send(self, text: str, **kwargs: Any) -> list[dict]:
        """A person types ``text``; return the messages sent (``sendMessage`` parameters)."""
        self.feed({"message": self.message(text, **kwargs)})
        return self.api.sent()

    def press(self, data: str, *, user: dict = USER, chat: dict = CHAT, age_s: float = 0.0) -> list[dict]:
        """A person presses the button ``data`` on the newest bot message in the chat that has it, ``age_s``
        seconds ago; return the messages sent."""
        self.feed({"callback_query": self.api.press(data, chat["id"], user, age_s=age_s)})
        return self.api.sent()

    def calls(self) -> list[str]:
        """The Bot API methods called so far (and forget them)."""
        out = [m for m, _ in self.api.calls]
        self.api.calls.clear()
        return out


def buttons(sent: list[dict]) -> list[dict]:
    """Every inline button of the given messages."""
    out = []
    for params in sent:
        markup = params.get("reply_markup")
        if markup:
            markup = markup if isinstance(markup, dict) else markup.to_dict()
            out += [b for row in markup["inline_keyboard"] for b in row]
    return out


def mention(text: str) -> tuple[str, list[dict]]:
    """``@bot text`` and its mention entity."""
    name = "@" + BOT_USER["username"]
    return f"{name} {text}", [{"type": "mention", "offset": 0, "length": len(name)}]
