"""What every ``python -m bot`` subcommand shares: where the data is, opening the store and the knowledge base, and
building the dialog every channel uses. Subcommand modules import this, never :mod:`bot.cli` itself."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.kernel.store import Store
from bot.kernel.yamlfile import DataFileError
from bot.qa import knowledge
from bot.qa.knowledge import KnowledgeBase

if TYPE_CHECKING:
    from bot.dialog import Dialog
    from bot.villages import VillageFields

DEFAULT_DB = knowledge.PROJECT_ROOT / "data" / "shuxi.db"


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    kroot = Path(getattr(args, "knowledge", None) or os.environ.get("SHUXI_KNOWLEDGE") or knowledge.DEFAULT_KNOWLEDGE)
    qroot = Path(getattr(args, "quizzes", None) or os.environ.get("SHUXI_QUIZZES") or knowledge.DEFAULT_QUIZZES)
    return kroot, qroot


def exit_broken(what: str, exc: DataFileError) -> NoReturn:
    """Print every problem of a broken data file (file, line, field) to stderr and exit with status 2."""
    print(f"The {what} is broken ({len(exc.errors)} problem(s)); fix these and start again:", file=sys.stderr)
    for err in exc.errors:
        print(f"  {err}", file=sys.stderr)
    raise SystemExit(2)


def load_kb(args: argparse.Namespace) -> KnowledgeBase:
    """Load the knowledge base named by args/environment. Exits with status 2 and the validator's message if broken."""
    kroot, qroot = _paths(args)
    try:
        return knowledge.load(kroot, qroot, os.environ.get("SHUXI_ASSESSMENT"))
    except DataFileError as exc:
        exit_broken("knowledge base", exc)


def open_store(args: argparse.Namespace) -> Store:
    """Open the database named by ``--db`` or SHUXI_DB (default ``data/shuxi.db``, created on first run).

    Exits with status 2 and a one-line message when it cannot be opened (a folder, not a database, no access).
    """
    path = getattr(args, "db", None) or os.environ.get("SHUXI_DB") or DEFAULT_DB
    try:
        return Store(path)
    except (sqlite3.Error, OSError) as exc:
        from bot.kernel.store import is_disk_full

        print(f"cannot open the database {path}: {exc}", file=sys.stderr)
        raise SystemExit(3 if is_disk_full(exc) else 2) from None   # 3: the environment failed (a full disk)


def make_dialog(args: argparse.Namespace, services: dict | None = None) -> "Dialog":
    """Build the dialog every channel uses: knowledge base, store, and every command set installed.

    Args:
        args: the parsed command line.
        services: if given, filled with what channels may schedule or need: ``"coordinators"`` (the
            :class:`bot.coordination.coordinators.CoordinatorCommands`) and ``"reminders"`` (the
            :class:`bot.coordination.reminders.Reminders` planner).
    """
    from bot.coordination import coordinators, invites, own_verdict, reminders
    from bot.coordination.readiness import SharedRule, load_rule, rule_path
    from bot.dialog import Dialog

    dialog = Dialog(load_kb(args), open_store(args))
    try:
        # One rule for every feature: /visitdate (or an edited rule file) reaches reports, reminders and /me at once.
        path = rule_path(getattr(args, "readiness", None))
        rule = SharedRule(load_rule(path), path)
        coordinator_commands = coordinators.install(dialog, rule=rule)
        planner = reminders.install(dialog, rule)
        own_verdict.install(dialog, rule)   # /me shows the person their own readiness checks
        invites.install(dialog)   # /link: the same person in another channel
    except (DataFileError, ValueError, FileNotFoundError) as exc:
        print(f"Coordinator settings are broken (config/readiness.yaml, config/coordinators.yaml, "
              f"config/reminders.yaml, SHUXI_COORDINATORS or SHUXI_REMINDERS); fix them and start again:\n{exc}",
              file=sys.stderr)
        raise SystemExit(2) from None
    # [villages] village fact cards: /village, and each person's own village facts in /practice and /interview
    from bot import villages

    village_source = None
    if fields_path(args).is_file():
        village_source = villages.install(dialog, load_fields_or_exit(args), scope_of=coordinator_commands.scope_of)
    if services is not None:
        services.update(coordinators=coordinator_commands, reminders=planner, villages=village_source)
    return dialog


def fields_path(args: argparse.Namespace) -> Path:
    """Return the village field list's path for the knowledge folder named by args/environment."""
    return _paths(args)[0] / "villages" / "fields.yaml"


def load_fields_or_exit(args: argparse.Namespace) -> "VillageFields":
    """Load the field list; on a problem print every error (file, line, field) and exit with status 2."""
    from bot.villages import load_fields

    try:
        return load_fields(fields_path(args))
    except DataFileError as exc:
        exit_broken("village field list", exc)
