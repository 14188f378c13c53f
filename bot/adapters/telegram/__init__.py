"""Telegram channel (python-telegram-bot v22, async): translate updates to :class:`~bot.kernel.messages.Incoming`
and replies back. The token is never logged.

Modules: ``render`` (HTML, keyboards, limits, merging replies into few messages), ``sending`` (sending, and the
refusals of Telegram that are not the person's problem), ``handlers`` (updates by kind and by chat type),
``concurrency`` (per-person ordered concurrent updates, flood control), ``coordination`` (menus, reminders,
sending to many), ``app`` (wiring), ``serving`` (polling or webhook; start-up).
"""

from .app import build_application, install_coordination
from .concurrency import FloodWaitLimiter, PerPersonOrder
from .coordination import (
    GROUP_MENU,
    PUBLIC_MENU,
    Outgoing,
    SendSummary,
    schedule_reminders,
    send_due_reminders,
    send_many,
    set_command_menus,
    start_coordination,
)
from .render import keyboard, plan_parts, poll_fits, split_message, to_html
from .sending import send_replies
from .serving import TokenRejected, Webhook, connect, serve

__all__ = [
    "build_application", "install_coordination", "FloodWaitLimiter", "PerPersonOrder", "GROUP_MENU",
    "PUBLIC_MENU", "Outgoing", "SendSummary", "schedule_reminders", "send_due_reminders", "send_many",
    "set_command_menus", "start_coordination", "keyboard", "plan_parts", "poll_fits", "split_message", "to_html",
    "send_replies", "TokenRejected", "Webhook", "connect", "serve",
]
