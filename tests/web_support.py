"""Helpers for the web channel's tests: the app over the real knowledge base and the sample roster, a signed-in
test client, and the form fields of a page (its CSRF token, its buttons)."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from html import unescape
from pathlib import Path

from bot.adapters.web import WebConfig, create_app
from bot.adapters.web.signin import AttemptLimiter, ensure_schema, new_coordinator_code
from bot.coordination import coordinators, invites
from bot.coordination.readiness import load_rule
from bot.coordination.reports import Scope
from bot.coordination.roster import entries, import_file
from bot.dialog import Dialog
from bot.kernel.store import Store
from bot.practice.quiz import QuizMaster

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "roster_people.csv"
COORDINATORS = {"cli:city": Scope(None), "cli:jiaji": Scope("嘉积镇"), "cli:boao": Scope("博鳌镇")}
SECRET = "test-secret-" + "x" * 40


def make_app(kb, store: Store, limiter: AttemptLimiter | None = None):
    """The web app over ``store`` with the sample roster imported; returns ``(app, dialog, commands)``."""
    import_file(store, SAMPLE)
    dialog = Dialog(kb, store, QuizMaster(kb, store, random.Random(7)))
    clock = lambda: datetime(2021, 10, 15, 4, tzinfo=timezone.utc)   # noqa: E731 - before the visit date
    commands = coordinators.install(dialog, COORDINATORS, load_rule(), clock=clock)
    invites.install(dialog)
    app = create_app(dialog, commands, WebConfig(SECRET, limiter=limiter or AttemptLimiter(limit=1000)))
    return app, dialog, commands


def link_code(reply_text: str) -> str:
    """The one-time code in a ``/link`` reply."""
    return re.search(r"/start (L[\w-]+)", reply_text).group(1)


def code_of(store: Store, name: str) -> str:
    """The invite code of the roster person ``name``."""
    return next(e.invite_code for e in entries(store) if e.name == name)


def coordinator_code(store: Store, key: str) -> str:
    ensure_schema(store)
    return new_coordinator_code(store, key)


def csrf(html: str) -> str:
    """The CSRF token of the first form on the page."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def buttons(html: str) -> list[tuple[str, str]]:
    """(label, data) of every reply button on a chat page, in order."""
    return [(unescape(label), unescape(data)) for data, label in
            re.findall(r'name="button" value="([^"]*)">\s*<input type="hidden" name="label" value="([^"]*)"', html)]
