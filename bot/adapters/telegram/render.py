"""Replies as Telegram messages: HTML (everything a person sent escaped), inline keyboards, the 4096-character
limit, native quiz polls within the Bot API limits, and several replies merged into one message.

Limits come from the pinned python-telegram-bot's constants (``MessageLimit``, ``PollLimit``), which mirror the
Bot API documentation.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit, PollLimit

from bot.kernel.messages import Attachment, Poll, Reply

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


@dataclass
class Part:
    """One thing to send: a text message (``html`` with an optional keyboard ``markup``), a file
    (``attachment``, captioned with ``html`` when it fits, else preceded by text parts), or a native quiz
    ``poll``."""

    html: str = ""
    markup: InlineKeyboardMarkup | None = None
    attachment: Attachment | None = None
    poll: Poll | None = None


def plan_parts(replies: list[Reply], *, polls: bool) -> list[Part]:
    """Turn the dialog's replies into as few Bot API messages as show them unchanged.

    Consecutive text replies are joined into one message (a blank line between them) while the result fits in
    one message and only the last of them has buttons — so a quiz verdict and the next question go out as one
    message. A reply with a ``poll`` becomes a native poll when ``polls`` (a private chat) and it fits the Bot
    API limits (:func:`poll_fits`), otherwise text with buttons. A text too long for one message is split at
    line breaks (:func:`split_message`); its buttons go on the last chunk.

    Args:
        replies: the dialog's replies, in order.
        polls: whether native quiz polls may be sent here.
    Returns:
        the parts, in sending order.
    """
    parts: list[Part] = []
    for reply in replies:
        if reply.poll is not None and polls and poll_fits(reply.poll):
            parts.append(Part(poll=reply.poll))
            continue
        text = to_html(reply)
        if reply.attachment is not None:
            if len(text) <= MAX_CAPTION:
                parts.append(Part(html=text, markup=keyboard(reply), attachment=reply.attachment))
            else:
                parts += [Part(html=chunk) for chunk in split_message(text)]
                parts.append(Part(markup=keyboard(reply), attachment=reply.attachment))
            continue
        previous = parts[-1] if parts else None
        joined = f"{previous.html}\n\n{text}" if previous else ""
        if (previous is not None and previous.attachment is None and previous.poll is None
                and previous.markup is None and len(joined) <= MAX_MESSAGE):
            previous.html, previous.markup = joined, keyboard(reply)
            continue
        chunks = split_message(text)
        parts += [Part(html=chunk) for chunk in chunks[:-1]]
        parts.append(Part(html=chunks[-1], markup=keyboard(reply)))
    return parts
