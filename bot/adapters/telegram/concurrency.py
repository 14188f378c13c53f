"""Many people at once: their updates are processed concurrently, each person's own in the order sent; and
flood control is waited out on every ordinary reply.

python-telegram-bot processes updates one after another unless ``concurrent_updates`` is set; then it starts one
task per update. :class:`PerPersonOrder` is the update processor for that (a ``BaseUpdateProcessor``, PTB ≥ 20.4):
updates of different people overlap their Bot API round trips, while one person's updates wait for that
person's previous one, so a quick double message is answered in order and never races the dialog's state.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

#: Updates processed at once (each waits on the Bot API most of its time; the dialog itself takes milliseconds).
MAX_CONCURRENT_UPDATES = 512


def order_key(update: object) -> int | None:
    """Return whose updates must stay in order: the person's Telegram user id (a message, button press, poll
    answer …), else the chat id, else None (an update belonging to nobody, processed at once)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerPersonOrder(BaseUpdateProcessor):
    """Process different people's updates concurrently and each person's updates strictly in arrival order.

    Each update of a person waits until that person's previous update is done (a chain of futures, one per
    update, created in the order PTB hands the updates over). The semaphore of ``BaseUpdateProcessor`` bounds the
    updates in progress overall, waiting ones included.

    Args:
        max_concurrent_updates: at most this many updates in progress at once (≥ 1).
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES):
        super().__init__(max_concurrent_updates)
        self._last: dict[int, asyncio.Future] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the same person's previous update, then process this one."""
        key = order_key(update)
        if key is None:
            await coroutine
            return
        previous = self._last.get(key)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        self._last[key] = done
        try:
            if previous is not None:
                await previous
            await coroutine
        finally:
            if not done.done():
                done.set_result(None)
            if self._last.get(key) is done:
                del self._last[key]
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()   # cancelled before it ran (shutdown): no "never awaited" warning

    @property
    def people_waiting(self) -> int:
        """How many people have an update in progress."""
        return len(self._last)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


#: ``rate_limit_args`` of a call whose caller paces itself and handles 429 itself (see :class:`FloodWaitLimiter`)
SELF_PACED = "self-paced"


class FloodWaitLimiter(AIORateLimiter):
    """PTB's ``AIORateLimiter`` with the settings this bot needs: flood control (429 ``RetryAfter``) on any Bot
    API call is waited out — the seconds Telegram asks, plus 0.1 s — and the call made again, up to
    ``max_retries`` times; group chats are held to Telegram's 20 messages a minute. There is no overall
    messages-per-second cap: Telegram's "about 30 a second" is about broadcasts, which the reminders pace
    themselves (``send_interval_s``); replies follow what people send, and Telegram's own 429 paces them.

    A caller that handles flood control itself passes ``rate_limit_args=SELF_PACED`` to a Bot method (the
    reminders' ``send_many``, which paces, counts attempts and postpones): its call goes straight through, once.

    Args:
        max_retries: how many times one call is tried again after a 429.
    """

    def __init__(self, max_retries: int = 3):
        super().__init__(overall_max_rate=0, max_retries=max_retries)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        """Run one Bot API call under flood control (see the class)."""
        if rate_limit_args == SELF_PACED:
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
