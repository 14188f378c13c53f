"""Sending replies, and Telegram's refusals that are not the person's problem.

Telegram refuses some calls in ordinary use: an edit that changes nothing ("message is not modified"), an answer
to a button press that came too late ("query is too old …"), anything to a person who blocked the bot
(``Forbidden``), and flood control (429, waited out by :class:`~.concurrency.FloodWaitLimiter`). None of these
is shown to the person as an error.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InputFile, Message, ReplyParameters, Update
from telegram.constants import ChatType, ParseMode, PollType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.dialog import Dialog
from bot.kernel.messages import Poll, Reply

from .render import Part, plan_parts

log = logging.getLogger(__name__)


def dialog_of(context: ContextTypes.DEFAULT_TYPE) -> Dialog:
    """The dialog, put into ``bot_data`` at start-up. It is synchronous and fast (milliseconds, SQLite on one
    connection) and is called directly: one event loop, so two calls never interleave."""
    return context.application.bot_data["dialog"]


def is_not_modified(exc: TelegramError) -> bool:
    """True for Telegram's answer to an edit that would change nothing."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message


async def answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Acknowledge a button press (stops the spinner on the button). Telegram refuses an answer to a press that
    is too old (about 15 s, e.g. after a restart) or answered already; that is logged, and the press is still
    handled by the caller."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("could not answer the button press: %s", exc)


async def edit_message(message: Message, part: Part) -> bool:
    """Show ``part`` in place of ``message`` (a message of the bot's, as the press reported it).

    Nothing is sent when the message already shows exactly that text and keyboard; Telegram's "message is not
    modified" (the same edit raced by a double tap) is taken as done.

    Returns:
        True when the message shows ``part`` now (edited or already so), False when it could not be edited.
    """
    old_markup = message.reply_markup if message.reply_markup and message.reply_markup.inline_keyboard else None
    if message.text_html == part.html and old_markup == part.markup:
        return True
    try:
        await message.edit_text(part.html, parse_mode=ParseMode.HTML, reply_markup=part.markup)
    except TelegramError as exc:
        if is_not_modified(exc):
            return True
        if isinstance(exc, BadRequest):
            log.info("could not edit message %s: %s", message.message_id, exc)
            return False
        raise
    return True


async def remove_keyboard(message: Message | None) -> None:
    """Take the buttons off one of the bot's messages, unless it has none already (a double tap)."""
    if message is None or not (message.reply_markup and message.reply_markup.inline_keyboard):
        return
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramError as exc:
        if not is_not_modified(exc) and not isinstance(exc, BadRequest):
            raise
        log.debug("keyboard already gone: %s", exc)


async def send_quiz_poll(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, poll: Poll) -> None:
    """Send a non-anonymous quiz poll and remember which question it stands for (answers come as PollAnswer)."""
    message = await context.bot.send_poll(chat_id, poll.question, poll.options, is_anonymous=False,
                                          type=PollType.QUIZ, correct_option_ids=[poll.correct],
                                          explanation=poll.explanation)
    dialog_of(context).remember_poll(message.poll.id, f"tg:{user_id}", poll.answer_data)


async def send_parts(context: ContextTypes.DEFAULT_TYPE, chat_id: int, parts: list[Part], *,
                     user_id: int | None = None, reply_to: int | None = None) -> None:
    """Send planned parts (:func:`~.render.plan_parts`) to ``chat_id`` in order.

    Args:
        context: the handler's context.
        chat_id: where to send.
        parts: what to send.
        user_id: whose quiz polls these are (needed for a poll part).
        reply_to: a message id the first message answers (in groups, so the asker sees it is theirs).
    """
    bot = context.bot
    for part in parts:
        quoting = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        if part.poll is not None and user_id is not None:
            await send_quiz_poll(context, chat_id, user_id, part.poll)
        elif part.attachment is not None:
            attachment = part.attachment
            send = bot.send_photo if attachment.kind == "photo" else bot.send_document
            await send(chat_id, InputFile(attachment.data, filename=attachment.filename),
                       caption=part.html or None, parse_mode=ParseMode.HTML if part.html else None,
                       reply_markup=part.markup, reply_parameters=quoting)
        elif part.html.strip():
            await bot.send_message(chat_id, part.html, parse_mode=ParseMode.HTML, reply_markup=part.markup,
                                   reply_parameters=quoting)
        else:
            continue
        reply_to = None


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply],
                       chat_id: int | None = None) -> None:
    """Send the dialog's replies to the chat of ``update`` (or ``chat_id``) as few messages as show them
    (:func:`~.render.plan_parts`): quiz polls only in private chats, files with their text as the caption."""
    chat = update.effective_chat
    chat_id = chat_id if chat_id is not None else chat.id
    private = chat is None or chat.type == ChatType.PRIVATE
    user = update.effective_user
    parts = plan_parts(replies, polls=private and user is not None)
    await send_parts(context, chat_id, parts, user_id=user.id if user else None)
