"""Update handlers: each turns one update into one :class:`Incoming`, asks the dialog, and sends what it returns.

Chats by type. In a private chat everything works. In a group the bot answers policy questions only when
addressed — ``/ask 问题``, a mention (``@bot 问题``) or a reply to one of its messages — and never touches the
asker's registration, practice or interview (``Incoming(private=False)``); every other command of the bot
(registration, practice, interviews, progress, village cards, coordinators' reports and exports) gets one
polite line to talk privately; other chatter is left alone. Channel posts and other updates without a person
are ignored. An edited message is never taken as a new message (an answer would be graded twice): in a
private chat a short note says so.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.coordination import reminders as reminders_core
from bot.kernel.messages import Incoming, Reply

from .render import plan_parts
from .sending import (
    answer_query,
    dialog_of,
    edit_message,
    remove_keyboard,
    send_parts,
    send_replies,
)

log = logging.getLogger(__name__)

#: commands that work in a group; ``ask`` is handled here (the question after it goes to the dialog)
GROUP_COMMANDS = ("ask", "help")
ASK_COMMAND = "ask"

OTHER_KINDS = "我只能读文字消息。请直接输入想问的问题，或发送 /help。"
EDITED = "修改过的消息不会重新处理，也不算作答。请直接发送新消息。"
ERROR = "抱歉，处理这条消息时出错了，请稍后再试。"


def group_help(username: str) -> str:
    """The one line a group gets for /help, an empty mention or /ask without a question."""
    return (f"在群里可以问政策问题：发送“/ask 问题”，或 @{username} 加问题，或回复我的消息。"
            f"登记、练习、模拟访谈、本村村情和各项统计请私聊我：@{username}")


def private_only(username: str) -> str:
    """The one polite line for a private-only command used in a group."""
    return f"这个功能涉及个人信息和练习记录，请私聊我使用：@{username}"


def is_private(update: Update) -> bool:
    """True when the update comes from a private chat."""
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def person_key(update: Update) -> str:
    """The dialog's account key of the update's person."""
    return f"tg:{update.effective_user.id}"


def _command(message: Message) -> tuple[str, str | None, str] | None:
    """(command, the bot it names or None, the text after it) when the message starts with a bot command."""
    entities = message.entities or ()
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset != 0:
        return None
    head = message.text[1:entities[0].length]
    name, _, target = head.partition("@")
    return name.lower(), target or None, message.text[entities[0].length:].strip()


def _addressed(message: Message, username: str, bot_id: int) -> str | None:
    """The question of a group message addressed to the bot (a mention of it, or a reply to one of its
    messages), with the mention taken out; None when the message is not for the bot."""
    text = message.text or ""
    mention = f"@{username}".lower()
    found = [e for e in message.entities or () if
             (e.type == MessageEntity.MENTION and message.parse_entity(e).lower() == mention)
             or (e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == bot_id)]
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == bot_id
    if not found and not replied:
        return None
    for entity in sorted(found, key=lambda e: -e.offset):
        # Entity offsets count UTF-16 code units; parse_entity knows how to find the text they point at.
        piece = message.parse_entity(entity)
        text = text.replace(piece, " ", 1)
    return text.strip()


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A new text message or command from a person, in a private chat or a group (see the module)."""
    message = update.effective_message
    if update.effective_user is None or message is None or message.text is None:
        return
    dialog = dialog_of(context)
    command = _command(message)
    if is_private(update):
        text = message.text
        if command is not None and command[0] == ASK_COMMAND:
            text = command[2] or "/help"   # "/ask 问题" in a private chat is just the question
        replies = dialog.handle(Incoming(person_key(update), text=text, channel="telegram"))
        await send_replies(update, context, replies)
        return
    username, bot_id = context.bot.username, context.bot.id
    if command is not None:
        name, target, rest = command
        if target is not None and target.lower() != username.lower():
            return   # another bot's command
        if name == ASK_COMMAND and rest:
            question = rest
        elif name in GROUP_COMMANDS or (name not in dialog.commands and target is not None):
            await _reply_in_group(update, context, [Reply(group_help(username))])
            return
        elif name in dialog.commands:
            await _reply_in_group(update, context, [Reply(private_only(username))])
            return
        else:
            return   # not ours: an unknown command without @bot may be for another bot in the group
    else:
        question = _addressed(message, username, bot_id)
        if question is None:
            return   # ordinary group chatter
        if not question:
            await _reply_in_group(update, context, [Reply(group_help(username))])
            return
    replies = dialog.handle(Incoming(person_key(update), text=question, channel="telegram", private=False))
    await _reply_in_group(update, context, replies)


async def _reply_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    message = update.effective_message
    await send_parts(context, message.chat_id, plan_parts(replies, polls=False), reply_to=message.message_id)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: never handled as new (see the module); a note in a private chat."""
    if is_private(update) and update.effective_user is not None:
        await send_replies(update, context, [Reply(EDITED)])


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a sticker, photo or other non-text message in a private chat with a hint."""
    if is_private(update) and update.effective_user is not None:
        await send_replies(update, context, [Reply(OTHER_KINDS)])


def _same_buttons(message: Message | None, markup) -> bool:
    """True when ``markup`` has exactly the button data of ``message``'s keyboard (the same question shown
    again, e.g. with an option ticked)."""
    if message is None or markup is None or message.reply_markup is None:
        return False

    def data(m):
        return [b.callback_data for row in m.inline_keyboard for b in row]

    return data(message.reply_markup) == data(markup)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: acknowledged (a refused acknowledgement is logged, the press still handled) and passed to
    the dialog.

    At most two Bot API calls for a quiz step, made at once: the acknowledgement and one message with the verdict
    and the next question. When the reply shows the same buttons again (a multiple-choice option ticked), the pressed message
    is edited instead, and not at all when nothing changed. A registration choice takes the role buttons away.
    In a group only the suggested-entry buttons of an answer work; any other press gets a note to talk
    privately.
    """
    query = update.callback_query
    data = query.data or ""
    message = query.message if isinstance(query.message, Message) else None
    if not is_private(update):
        if not data.startswith("kb:"):
            await answer_query(query, private_only(context.bot.username))
            return
        replies = dialog_of(context).handle(Incoming(person_key(update), button=data, channel="telegram",
                                                     private=False))
        await answer_query(query)
        chat_id = message.chat_id if message else update.effective_chat.id
        await send_parts(context, chat_id, plan_parts(replies, polls=False))
        return
    replies = dialog_of(context).handle(Incoming(person_key(update), button=data, channel="telegram"))

    async def show() -> None:
        parts = plan_parts(replies, polls=True)
        if parts and parts[0].poll is None and parts[0].attachment is None \
                and _same_buttons(message, parts[0].markup):
            if await edit_message(message, parts[0]):
                parts = parts[1:]
        elif data.startswith("role:"):
            await remove_keyboard(message)   # the role is chosen: its buttons cannot be pressed again by mistake
        await send_parts(context, update.effective_chat.id, parts, user_id=update.effective_user.id)

    # The acknowledgement and the reply are independent: one round trip, not two.
    await asyncio.gather(answer_query(query), show())


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Passes an answer to a quiz poll to the dialog as the matching button press; replies in the private chat."""
    answer = update.poll_answer
    if answer.user is None or not answer.option_ids:
        return   # a retracted vote, or a vote on behalf of a chat
    replies = dialog_of(context).poll_answer(answer.poll_id, f"tg:{answer.user.id}", answer.option_ids[0])
    await send_replies(update, context, replies, chat_id=answer.user.id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An error while handling an update: logged; the bot keeps going.

    A person who blocked the bot (``Forbidden``) is marked unreachable and sent nothing. Another refusal by
    Telegram (a network error, a reply Telegram would not take even after waiting out flood control) is logged
    in one line: sending an apology would meet the same refusal. Only an error of the bot's own gets the
    apology, and only in a private chat.
    """
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("chat %s is closed to the bot: %s", chat.id if chat else "?", error)
        if user is not None and chat is not None and chat.type == ChatType.PRIVATE:
            store = dialog_of(context).store
            reminders_core.mark_unreachable(store, store.person(f"tg:{user.id}").id)
        return
    if isinstance(error, TelegramError):
        log.warning("Telegram refused a call while handling an update: %s", error)
        return
    log.error("error while handling an update", exc_info=error)
    if chat is not None and chat.type == ChatType.PRIVATE:
        try:
            await context.bot.send_message(chat.id, ERROR)
        except TelegramError:  # the chat may be gone; nothing more to do
            log.warning("could not report the error to chat %s", chat.id)


async def note_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any update from a person means they can be reached again: clear their unreachable mark, if any."""
    user = update.effective_user
    if user is None or update.my_chat_member is not None:
        return
    try:
        if reminders_core.mark_reachable(dialog_of(context).store, f"tg:{user.id}"):
            log.info("person tg:%s is reachable again", user.id)
    except Exception:  # never let bookkeeping stop the conversation handlers
        log.exception("could not update the contact status")


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A person blocked the bot (status ``kicked`` in their private chat): mark them unreachable; unblocked
    (``member``): clear the mark."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    store = dialog_of(context).store
    key = f"tg:{change.from_user.id}"
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        reminders_core.mark_unreachable(store, store.person(key).id)
    elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
        reminders_core.mark_reachable(store, key)
