"""Coordination on Telegram: command menus, daily reminders, sending to many.

Kept apart from the conversation handlers. The decisions (who is reminded, the text, the records) are in
:mod:`bot.coordination.reminders`; here they are only scheduled and sent. Reminder runs are JobQueue jobs: they run
as their own tasks, so conversations go on while a run sends (and waits between messages).
"""

from __future__ import annotations

import asyncio
import html
import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Iterable

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes

from bot.coordination import reminders as reminders_core
from bot.coordination.coordinators import (
    COMMAND_DESCRIPTIONS as COORDINATOR_DESCRIPTIONS,
)

from .concurrency import SELF_PACED
from .render import split_message

log = logging.getLogger(__name__)

#: The command menu everyone sees (Telegram's "/" button); coordinators also get COORDINATOR_DESCRIPTIONS.
PUBLIC_MENU = (
    ("start", "登记姓名、角色、镇、村"),
    ("practice", "按角色练习（间隔复习）"),
    ("interview", "模拟访谈：按要点打分"),
    ("village", "本村村情卡"),
    ("quiz", "做一组练习题（/quiz 10 做10题）"),
    ("me", "我的练习进度和薄弱指标"),
    ("polls", "/polls on 用答题投票出题"),
    (reminders_core.COMMAND, reminders_core.COMMAND_DESCRIPTION),
    ("cancel", "取消当前的登记或练习"),
    ("help", "使用说明"),
)

#: The menu in group chats: only what works there (everything else is private; see ``handlers``).
GROUP_MENU = (
    ("ask", "问政策问题：/ask 问题"),
    ("help", "在群里怎么问"),
)


async def start_coordination(app: Application) -> None:
    """At start-up (``post_init``): set the command menus and schedule the reminders. A failure to set a menu
    is logged and never stops the bot."""
    try:
        await set_command_menus(app.bot, app.bot_data.get("coordinator_ids", ()))
    except TelegramError:
        log.warning("could not set the command menu", exc_info=True)
    if app.bot_data.get("reminders") is not None:
        schedule_reminders(app)


async def set_command_menus(bot, coordinator_ids: Iterable[int] = ()) -> None:
    """Set the "/" menu: :data:`PUBLIC_MENU` for everyone, plus the coordinator commands in each coordinator's
    private chat, and :data:`GROUP_MENU` in group chats. A coordinator who has not started the bot yet cannot get
    a chat menu: logged and skipped.

    Raises:
        telegram.error.TelegramError: setting the public menu failed.
    """
    public = [BotCommand(name, text) for name, text in PUBLIC_MENU]
    await bot.set_my_commands(public)
    extended = public + [BotCommand(name, text) for name, text in COORDINATOR_DESCRIPTIONS]
    for chat_id in coordinator_ids:
        try:
            await bot.set_my_commands(extended, scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.warning("no coordinator menu for chat %s: %s", chat_id, exc)
    await bot.set_my_commands([BotCommand(name, text) for name, text in GROUP_MENU],
                              scope=BotCommandScopeAllGroupChats())


@dataclass
class Outgoing:
    """One message of a batch: plain ``text`` to ``chat_id``; ``tag`` is the caller's (e.g. the reminder)."""

    chat_id: int
    text: str
    tag: object = None


@dataclass
class SendSummary:
    """What a batch did: messages ``sent``, chats ``unreachable`` (blocked the bot), ``failed`` (refused for
    good), ``postponed`` (still failing after ``max_attempts``: left for a later run), and seconds waited for
    flood control (``waited_s``). Each list holds the :class:`Outgoing` items."""

    sent: list[Outgoing] = field(default_factory=list)
    unreachable: list[Outgoing] = field(default_factory=list)
    failed: list[Outgoing] = field(default_factory=list)
    postponed: list[Outgoing] = field(default_factory=list)
    waited_s: float = 0.0


Sleep = Callable[[float], Awaitable[None]]


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():   # PTB 22 warns that retry_after will become a timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_many(bot, items: Iterable[Outgoing], *, before: Callable[[Outgoing], bool] | None = None,
                    after: Callable[[Outgoing, str, str | None], None] | None = None, interval_s: float = 0.05,
                    max_attempts: int = 5, sleep: Sleep = asyncio.sleep) -> SendSummary:
    """Send many messages one after the other, so that one person cannot stop the others getting theirs.

    Each text is HTML-escaped and split like a reply. Flood control (``RetryAfter``) is waited out — sleep the
    time Telegram asks, then the same message again; a network error is retried after a short pause; both count
    towards ``max_attempts``, after which the message is *postponed* (never silently dropped: the caller
    releases it for a later run). ``Forbidden`` (the person blocked the bot) makes it *unreachable*; another
    refusal (e.g. ``BadRequest``: chat not found) *failed*. Nothing is raised for one message.

    Args:
        bot: the application's bot.
        items: the messages, in sending order.
        before: called just before an item is sent; False skips it (e.g. already claimed by another run).
        after: called with the item, its outcome (``sent``, ``unreachable``, ``failed``, ``postponed``) and the
            error text (None when sent).
        interval_s: pause after each message (Telegram allows about 30 messages a second to different chats).
        max_attempts: tries per message.
        sleep: the pause function (tests pass one that records instead of waiting).
    Returns:
        the summary.
    """
    summary = SendSummary()
    # This loop paces itself and waits out flood control itself: the bot's rate limiter lets its calls through.
    own_flood_control = {"rate_limit_args": SELF_PACED} if getattr(bot, "rate_limiter", None) is not None else {}
    for item in items:
        if before is not None and not before(item):
            continue
        outcome, error = "postponed", None
        for attempt in range(1, max_attempts + 1):
            try:
                for chunk in split_message(html.escape(item.text, quote=False)):
                    await bot.send_message(item.chat_id, chunk, parse_mode=ParseMode.HTML, **own_flood_control)
                outcome, error = "sent", None
                break
            except RetryAfter as exc:
                wait = _retry_seconds(exc)
                log.warning("flood control: waiting %.0f s before sending to %s again", wait, item.chat_id)
                summary.waited_s += wait
                error = str(exc)
                if attempt < max_attempts:
                    await sleep(wait)
            except Forbidden as exc:
                outcome, error = "unreachable", str(exc)
                break
            except BadRequest as exc:   # a subclass of NetworkError, but retrying cannot help
                outcome, error = "failed", str(exc)
                break
            except NetworkError as exc:  # includes TimedOut
                error = str(exc)
                if attempt < max_attempts:
                    await sleep(min(30.0, 2.0 ** attempt))
            except TelegramError as exc:
                outcome, error = "failed", str(exc)
                break
        getattr(summary, outcome).append(item)
        if outcome != "sent":
            log.warning("message to %s %s: %s", item.chat_id, outcome, error)
        if after is not None:
            after(item, outcome, error)
        if interval_s:
            await sleep(interval_s)
    return summary


#: reminder-log status for each outcome of :func:`send_many`
_REMINDER_STATUS = {"sent": "sent", "unreachable": "unreachable", "failed": "failed", "postponed": "retry"}


async def send_due_reminders(app: Application, now: datetime | None = None,
                             sleep: Sleep = asyncio.sleep) -> SendSummary:
    """Send today's reminders that are due (see :meth:`bot.coordination.reminders.Reminders.due`): each is claimed in
    the reminder log just before it is sent and its outcome recorded after, so no run sends a day's reminder
    twice. A person who blocked the bot is marked unreachable; a postponed one is released, and another run is
    scheduled ``retry_minutes`` later.

    Args:
        app: the application (``bot_data["reminders"]`` set by :func:`install_coordination`).
        now: the current time (default: the planner's clock).
        sleep: the pause function.
    Returns:
        the summary (empty when no planner is installed or none is due).
    """
    planner: reminders_core.Reminders | None = app.bot_data.get("reminders")
    if planner is None:
        return SendSummary()
    closed = planner.closed_because(now)
    if closed:
        log.info("no reminders now: %s", closed)
        return SendSummary()
    due = planner.due(now)
    store = planner.store

    def before(item: Outgoing) -> bool:
        return reminders_core.claim(store, item.tag.person_id, item.tag.on_date)

    def after(item: Outgoing, outcome: str, error: str | None) -> None:
        reminders_core.finish(store, item.tag.person_id, item.tag.on_date, _REMINDER_STATUS[outcome], error)

    summary = await send_many(app.bot, [Outgoing(r.chat_id, r.text, r) for r in due], before=before, after=after,
                              interval_s=planner.config.send_interval_s, max_attempts=planner.config.max_attempts,
                              sleep=sleep)
    log.info("reminders: %d sent, %d unreachable, %d failed, %d postponed", len(summary.sent),
             len(summary.unreachable), len(summary.failed), len(summary.postponed))
    if summary.postponed and app.job_queue is not None:
        app.job_queue.run_once(_reminder_job, timedelta(minutes=planner.config.retry_minutes),
                               name="reminders-retry", job_kwargs={"misfire_grace_time": None})
    return summary


async def _reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_due_reminders(context.application)


def schedule_reminders(app: Application) -> list:
    """Schedule the daily reminder run at ``send_at`` (UTC+8) and one catch-up run ``startup_delay_s`` after
    the start, with PTB's JobQueue. Nothing about reminders lives in memory only: each run reads the database
    (who is due, what was already sent today), so a restart loses none and sends none twice.

    Returns:
        the scheduled jobs (empty when the planner is missing or disabled, or the JobQueue is not installed —
        then a warning is logged: install ``python-telegram-bot[job-queue]``).
    """
    planner: reminders_core.Reminders | None = app.bot_data.get("reminders")
    if planner is None or not planner.config.enabled:
        return []
    if app.job_queue is None:
        log.warning("daily reminders need PTB's JobQueue: pip install 'python-telegram-bot[job-queue]'")
        return []
    # misfire_grace_time None: a run that is late (a busy event loop) still runs; the planner checks the window.
    daily = app.job_queue.run_daily(_reminder_job, planner.config.send_time, name="reminders-daily",
                                    job_kwargs={"misfire_grace_time": None})
    catch_up = app.job_queue.run_once(_reminder_job, planner.config.startup_delay_s, name="reminders-startup",
                                      job_kwargs={"misfire_grace_time": None})
    return [daily, catch_up]
