"""Telegram channel (python-telegram-bot v22, async): translate updates to :class:`Incoming` and replies back.

Handlers are thin: each turns an update into one ``Incoming``, asks the dialog, and sends what it returns.
All reply text is HTML-escaped (a person's name like ``<b>李&明`` shows literally); long replies are split at
line breaks under Telegram's 4096-character limit. The dialog reaches handlers through ``bot_data`` (set in
``post_init``), not globals. The token is never logged.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from ..core.dialog import Dialog
from ..core.messages import Incoming, Reply

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "quiz", "me", "cancel")
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


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    """Send replies to the chat of ``update``, each split as needed; buttons go on the last chunk.

    A reply with an attachment is sent as a document (``send_document``) or photo (``send_photo``) with its text
    as the caption when the text fits Telegram's caption limit; otherwise the text goes first as messages and the
    file follows without a caption.
    """
    chat_id = update.effective_chat.id
    for reply in replies:
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


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the error and, when there is a chat, tells the person something went wrong; the bot keeps going."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, "抱歉，处理这条消息时出错了，请稍后再试。")
        except Exception:  # the chat may be gone; nothing more to do
            log.exception("could not report the error to the chat")


def build_application(token: str, dialog: Dialog, request: BaseRequest | None = None) -> Application:
    """Wire every handler into one Application.

    Args:
        token: the bot token (from the environment; never logged).
        dialog: the core dialog, put into ``bot_data["dialog"]`` at start-up.
        request: a custom request object (tests pass an offline one); None for real HTTP.
    Returns:
        the built, not yet initialised, Application.
    """

    async def post_init(app: Application) -> None:
        app.bot_data["dialog"] = dialog

    builder = Application.builder().token(token).post_init(post_init)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.add_handler(CommandHandler(list(COMMANDS), on_text))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.COMMAND, on_text))   # unknown commands get the help text
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, on_other))
    app.add_error_handler(on_error)
    return app


def run_polling(token: str, dialog: Dialog) -> None:
    """Run the bot with long polling until interrupted."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)   # its INFO lines contain the token in the URL
    build_application(token, dialog).run_polling(allowed_updates=Update.ALL_TYPES)
