"""Wiring: one python-telegram-bot ``Application`` with every handler, concurrent per-person update processing,
flood control on every call, and the coordination jobs."""

from __future__ import annotations

from typing import Iterable

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.coordination import reminders as reminders_core
from bot.dialog import Dialog

from .concurrency import FloodWaitLimiter, PerPersonOrder
from .coordination import start_coordination
from .handlers import (
    note_contact,
    on_button,
    on_edited,
    on_error,
    on_message,
    on_my_chat_member,
    on_other,
    on_poll_answer,
)

#: chats where people talk to the bot; channels are not among them
PEOPLE_CHATS = filters.ChatType.PRIVATE | filters.ChatType.GROUPS


def build_application(token: str, dialog: Dialog, request: BaseRequest | None = None, *,
                      reminders: "reminders_core.Reminders | None" = None,
                      coordinator_ids: Iterable[int] = (), concurrent: bool = True) -> Application:
    """Wire every handler into one Application.

    Args:
        token: the bot token (from the environment; never logged).
        dialog: the core dialog, put into ``bot_data["dialog"]`` at start-up.
        request: a custom request object (tests pass an offline one); None for real HTTP.
        reminders: the daily-reminder planner; when given, reminders are scheduled at start-up.
        coordinator_ids: Telegram user ids of the coordinators, who get the coordinator commands in their menu.
        concurrent: process different people's updates concurrently (:class:`PerPersonOrder`); False processes
            one update at a time (PTB's default).
    Returns:
        the built, not yet initialised, Application.
    """

    async def post_init(app: Application) -> None:
        app.bot_data["dialog"] = dialog
        await start_coordination(app)

    builder = Application.builder().token(token).post_init(post_init).rate_limiter(FloodWaitLimiter())
    if concurrent:
        builder = builder.concurrent_updates(PerPersonOrder())
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data["dialog"] = dialog
    new_text = filters.UpdateType.MESSAGE & PEOPLE_CHATS & filters.TEXT
    app.add_handler(MessageHandler(new_text, on_message))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & PEOPLE_CHATS, on_edited))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(PollAnswerHandler(on_poll_answer))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & PEOPLE_CHATS & ~filters.TEXT
                                   & ~filters.StatusUpdate.ALL, on_other))
    app.add_error_handler(on_error)
    install_coordination(app, reminders, coordinator_ids)
    return app


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
