"""Telegram channel (python-telegram-bot v22, async): translate updates to :class:`Incoming` and replies back.

Handlers are thin: each turns an update into one ``Incoming``, asks the dialog, and sends what it returns.
All reply text is HTML-escaped (a person's name like ``<b>李&明`` shows literally); long replies are split at
line breaks under Telegram's 4096-character limit. The dialog reaches handlers through ``bot_data`` (set in
``post_init``), not globals. The token is never logged.

Why this module is long: it is the whole translation to one chat service — handlers, sending with flood control
and blocked users, quiz polls, the command menu and the reminder jobs — and nothing in it is domain logic.
"""

from __future__ import annotations

import asyncio
import html
import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Iterable

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import (
    ChatMemberStatus,
    ChatType,
    MessageLimit,
    ParseMode,
    PollLimit,
    PollType,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.coordination import reminders as reminders_core
from bot.coordination.coordinators import (
    COMMAND_DESCRIPTIONS as COORDINATOR_DESCRIPTIONS,
)
from bot.dialog import Dialog
from bot.kernel.messages import Incoming, Poll, Reply

log = logging.getLogger(__name__)

# Every other command (coordinators', /village …) still reaches the dialog through the catch-all command handler.
COMMANDS = ("start", "help", "quiz", "me", "cancel", "practice", "interview", "polls")
MAX_MESSAGE = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CAPTION = int(MessageLimit.CAPTION_LENGTH)


def to_html(reply: Reply) -> str:
    """Return a reply's text as Telegram HTML: title in bold, everything escaped."""
    body = html.escape(reply.text, quote=False)
    return f"<b>{html.escape(reply.title, quote=False)}</b>\n{body}" if reply.title else body


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, at line breaks where possible.

    A single line longer than ``limit`` is cut hard. Chunks never cut an HTML tag or entity in half as long as
    tags and entities do not span lines (as in :func:`to_html`, which only adds ``<b>`` around one line).
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = limit
            amp = line.rfind("&", 0, cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp  # never split an entity such as &amp;
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard for a reply's buttons, or None."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in reply.buttons])


def poll_fits(poll: Poll) -> bool:
    """Return True when a quiz poll is within the Bot API limits of the pinned python-telegram-bot version
    (question, option and explanation lengths, explanation line breaks, number of options: ``PollLimit``)."""
    return (int(PollLimit.MIN_QUESTION_LENGTH) <= len(poll.question) <= int(PollLimit.MAX_QUESTION_LENGTH)
            and 2 <= len(poll.options) <= int(PollLimit.MAX_OPTION_NUMBER)
            and all(1 <= len(o) <= int(PollLimit.MAX_OPTION_LENGTH) for o in poll.options)
            and len(poll.explanation) <= int(PollLimit.MAX_EXPLANATION_LENGTH)
            and poll.explanation.count("\n") <= int(PollLimit.MAX_EXPLANATION_LINE_FEEDS))


async def send_quiz_poll(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, poll: Poll) -> None:
    """Send a non-anonymous quiz poll and remember which question it stands for (answers come as PollAnswer)."""
    message = await context.bot.send_poll(chat_id, poll.question, poll.options, is_anonymous=False,
                                          type=PollType.QUIZ, correct_option_ids=[poll.correct],
                                          explanation=poll.explanation)
    _dialog(context).remember_poll(message.poll.id, f"tg:{user_id}", poll.answer_data)


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply],
                       chat_id: int | None = None) -> None:
    """Send replies to the chat of ``update`` (or ``chat_id``), each split as needed; buttons go on the last chunk.

    A reply with a quiz ``poll`` is sent as a native quiz poll in a private chat when it fits the Bot API limits
    (:func:`poll_fits`); otherwise its text and buttons are sent as usual.

    A reply with an attachment is sent as a document (``send_document``) or photo (``send_photo``) with its text
    as the caption when the text fits Telegram's caption limit; otherwise the text goes first as messages and the
    file follows without a caption.
    """
    chat_id = chat_id if chat_id is not None else update.effective_chat.id
    private = update.effective_chat is None or update.effective_chat.type == ChatType.PRIVATE
    for reply in replies:
        if reply.poll is not None and private and update.effective_user and poll_fits(reply.poll):
            await send_quiz_poll(context, chat_id, update.effective_user.id, reply.poll)
            continue
        text = to_html(reply)
        attachment = reply.attachment
        caption = None
        if attachment is not None and len(text) <= MAX_CAPTION:
            caption, text = text, ""
        if text:
            chunks = split_message(text)
            for i, chunk in enumerate(chunks):
                markup = keyboard(reply) if i == len(chunks) - 1 and attachment is None else None
                await context.bot.send_message(chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup)
        if attachment is not None:
            file = InputFile(attachment.data, filename=attachment.filename)
            send = context.bot.send_photo if attachment.kind == "photo" else context.bot.send_document
            await send(chat_id, file, caption=caption, parse_mode=ParseMode.HTML if caption else None,
                       reply_markup=keyboard(reply))


def _dialog(context: ContextTypes.DEFAULT_TYPE) -> Dialog:
    # The dialog is synchronous and fast (milliseconds, SQLite on one connection); updates are processed one
    # at a time (PTB's default), so it is called directly rather than from worker threads.
    return context.application.bot_data["dialog"]


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Passes a typed message or command to the dialog and sends the replies."""
    user = update.effective_user
    text = update.effective_message.text or ""
    replies = _dialog(context).handle(Incoming(f"tg:{user.id}", text=text, channel="telegram"))
    await send_replies(update, context, replies)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a sticker, photo or other non-text message with a hint."""
    await send_replies(update, context, [Reply("我只能读文字消息。请直接输入想问的问题，或发送 /help。")])


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledges a button press, removes the keyboard it came from, and passes it to the dialog."""
    query = update.callback_query
    await query.answer()
    data = query.data or ""
    replies = _dialog(context).handle(Incoming(f"tg:{update.effective_user.id}", button=data, channel="telegram"))
    if data.startswith(("q:", "role:")):
        # The choice is made: take the buttons away so an old question cannot be answered again by mistake.
        await query.edit_message_reply_markup(reply_markup=None)
    await send_replies(update, context, replies)


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Passes an answer to a quiz poll to the dialog as the matching button press; replies in the private chat."""
    answer = update.poll_answer
    if answer.user is None or not answer.option_ids:
        return   # a retracted vote, or a vote on behalf of a chat
    replies = _dialog(context).poll_answer(answer.poll_id, f"tg:{answer.user.id}", answer.option_ids[0])
    await send_replies(update, context, replies, chat_id=answer.user.id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the error and, when there is a chat, tells the person something went wrong; the bot keeps going."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, "抱歉，处理这条消息时出错了，请稍后再试。")
        except Exception:  # the chat may be gone; nothing more to do
            log.exception("could not report the error to the chat")


def build_application(token: str, dialog: Dialog, request: BaseRequest | None = None, *,
                      reminders: "reminders_core.Reminders | None" = None,
                      coordinator_ids: Iterable[int] = ()) -> Application:
    """Wire every handler into one Application.

    Args:
        token: the bot token (from the environment; never logged).
        dialog: the core dialog, put into ``bot_data["dialog"]`` at start-up.
        request: a custom request object (tests pass an offline one); None for real HTTP.
        reminders: the daily-reminder planner; when given, reminders are scheduled at start-up
            (see :func:`install_coordination`).
        coordinator_ids: Telegram user ids of the coordinators, who get the coordinator commands in their menu.
    Returns:
        the built, not yet initialised, Application.
    """

    async def post_init(app: Application) -> None:
        app.bot_data["dialog"] = dialog
        await start_coordination(app)

    builder = Application.builder().token(token).post_init(post_init)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.add_handler(CommandHandler(list(COMMANDS), on_text))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.COMMAND, on_text))   # unknown commands get the help text
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(PollAnswerHandler(on_poll_answer))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, on_other))
    app.add_error_handler(on_error)
    install_coordination(app, reminders, coordinator_ids)
    return app


def run_polling(token: str, dialog: Dialog, *, reminders: "reminders_core.Reminders | None" = None,
                coordinator_ids: Iterable[int] = ()) -> None:
    """Run the bot with long polling until interrupted (reminders and coordinator menus as in
    :func:`build_application`)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)   # its INFO lines contain the token in the URL
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = build_application(token, dialog, reminders=reminders, coordinator_ids=coordinator_ids)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


# --- coordination: command menus, daily reminders, sending to many ------------------------------------------------
# Kept apart from the conversation handlers above. The decisions (who is reminded, the text, the records) are in
# bot.coordination.reminders; here they are only scheduled and sent.

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


def install_coordination(app: Application, reminders: "reminders_core.Reminders | None",
                         coordinator_ids: Iterable[int] = ()) -> None:
    """Add what coordination needs to ``app``: the reminder planner and coordinator ids in ``bot_data``, and two
    handlers that keep ``contact_status`` true — Telegram's ``my_chat_member`` update marks a person unreachable
    when they block the bot and reachable when they unblock it (group -2), and any other update from a person
    clears their unreachable mark (group -1). Both run before the conversation handlers (group 0), which still
    run.

    Args:
        app: the application being built.
        reminders: the planner (None: no reminders are scheduled).
        coordinator_ids: Telegram user ids of coordinators (for their command menu).
    """
    app.bot_data["reminders"] = reminders
    app.bot_data["coordinator_ids"] = sorted(set(coordinator_ids))
    app.add_handler(TypeHandler(Update, note_contact), group=-1)
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=-2)


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
    private chat. A coordinator who has not started the bot yet cannot get a chat menu: logged and skipped.

    Raises:
        telegram.error.TelegramError: setting the public menu failed.
    """
    public = [BotCommand(name, text) for name, text in PUBLIC_MENU]
    await bot.set_my_commands(public)
    if not coordinator_ids:
        return
    extended = public + [BotCommand(name, text) for name, text in COORDINATOR_DESCRIPTIONS]
    for chat_id in coordinator_ids:
        try:
            await bot.set_my_commands(extended, scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.warning("no coordinator menu for chat %s: %s", chat_id, exc)


async def note_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any update from a person means they can be reached again: clear their unreachable mark, if any."""
    user = update.effective_user
    if user is None or update.my_chat_member is not None:
        return
    try:
        if reminders_core.mark_reachable(_dialog(context).store, f"tg:{user.id}"):
            log.info("person tg:%s is reachable again", user.id)
    except Exception:  # never let bookkeeping stop the conversation handlers
        log.exception("could not update the contact status")


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A person blocked the bot (status ``kicked`` in their private chat): mark them unreachable; unblocked
    (``member``): clear the mark."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    store = _dialog(context).store
    key = f"tg:{change.from_user.id}"
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        reminders_core.mark_unreachable(store, store.person(key).id)
    elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
        reminders_core.mark_reachable(store, key)


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
    for item in items:
        if before is not None and not before(item):
            continue
        outcome, error = "postponed", None
        for attempt in range(1, max_attempts + 1):
            try:
                for chunk in split_message(html.escape(item.text, quote=False)):
                    await bot.send_message(item.chat_id, chunk, parse_mode=ParseMode.HTML)
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
