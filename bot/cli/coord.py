"""``python -m bot roster …`` and ``python -m bot report …``: the roster and the coordinators' reports from the
command line (a thin shell over :mod:`bot.coordination.roster` and :mod:`bot.coordination.reports`).

    python -m bot roster import FILE                 import a .xlsx/.csv roster; bad rows listed, exit 1 if any
    python -m bot roster template OUT                write an empty template (.xlsx or .csv)
    python -m bot roster invites [--bot-username NAME] [--web-base URL] [--town 镇] [--all]
                                                     one line per person: 镇, 村, 姓名, https://t.me/NAME?start=CODE
                                                     (with --web-base: web links URL/i/CODE, unused on the web)
    python -m bot report [--scope city|town:NAME] [--format text|csv|xlsx] [--view VIEW] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from bot.kernel.yamlfile import DataFileError

from .common import load_kb, open_store

VIEWS_TEXT = ("report", "unprepared", "unanswered")


def cmd_roster_import(args: argparse.Namespace) -> int:
    """Import a roster file; print the summary and each skipped row; return 1 if any row was skipped."""
    from bot.coordination.roster import RosterFileError, import_file

    try:
        result = import_file(open_store(args), args.file)
    except (RosterFileError, FileNotFoundError) as exc:
        print(f"无法导入：{exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 1 if result.errors else 0


def cmd_roster_template(args: argparse.Namespace) -> int:
    """Write an empty roster template."""
    from bot.coordination.roster import RosterFileError, write_template

    try:
        print(write_template(args.out))
    except RosterFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def cmd_roster_invites(args: argparse.Namespace) -> int:
    """Print one Telegram deep link per roster person (not yet bound ones unless --all), tab-separated."""
    from bot.coordination.invites import invite_link
    from bot.coordination.roster import entries

    if not args.bot_username and not args.web_base:
        print("give --bot-username NAME (Telegram links) and/or --web-base URL (web links)", file=sys.stderr)
        return 2
    if args.web_base:   # [web] links for the web channel, unused there unless --all
        from bot.adapters.web.signin import ensure_schema, web_invite_entries, web_link
        store = open_store(args)
        ensure_schema(store)
        web_rows = web_invite_entries(store, town=args.town, all_rows=args.all)
        telegram = {e.id: e for e in entries(store, town=args.town)} if args.bot_username else {}
        print("镇\t村\t姓名\t已绑定\t网页链接" + ("\t邀请链接" if args.bot_username else ""))
        for e in web_rows:
            tg = f"\t{invite_link(args.bot_username, telegram[e.id].invite_code)}" if args.bot_username else ""
            print(f"{e.town}\t{e.village}\t{e.name}\t{'是' if e.invite_used_at else '否'}\t"
                  f"{web_link(args.web_base, e.invite_code)}{tg}")
        if not web_rows:
            print("没有需要发送的网页邀请（名册为空，或都已在网页上使用；--all 列出全部）。", file=sys.stderr)
        return 0
    rows = entries(open_store(args), town=args.town, unused_only=not args.all)
    if not rows:
        print("没有需要发送的邀请（名册为空，或都已绑定；--all 列出全部）。", file=sys.stderr)
        return 0
    print("镇\t村\t姓名\t已绑定\t邀请链接")
    for e in rows:
        print(f"{e.town}\t{e.village}\t{e.name}\t{'是' if e.invite_used_at else '否'}\t"
              f"{invite_link(args.bot_username, e.invite_code)}")
    return 0


def safe_stem(text: str, limit: int = 40) -> str:
    """Return ``text`` fit to be part of a file name in the working folder: letters (Chinese too), digits, ``-``
    and ``_`` kept, anything else (``/``, ``..``, blanks, control characters) as ``_``, at most ``limit``
    characters; never empty, never a path."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:limit].strip("_")
    return stem or "scope"


def cmd_report(args: argparse.Namespace) -> int:
    """Print or write a scoped report as text, CSV or .xlsx."""
    from bot.coordination import report_views, reports
    from bot.coordination.readiness import load_rule

    try:
        scope = reports.Scope.parse(args.scope)
        rule = load_rule(args.readiness)
    except (reports.ScopeError, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except DataFileError as exc:
        print(f"readiness rule is broken:\n{exc}", file=sys.stderr)
        return 2
    now = None
    if args.today:
        now = datetime.fromisoformat(args.today).replace(hour=4, tzinfo=timezone.utc)   # 12:00 China time
    else:
        from bot.kernel import clock

        now = clock.now()
    store, kb = open_store(args), load_kb(args)
    if scope.town is not None:
        towns = sorted({r[0] for r in store.db.execute("select town from roster union select town from people "
                                                         "where registered = 1 and town is not null")})
        if towns and scope.town not in towns:   # a typo (嘉积 for 嘉积镇) would give an empty report, not an error
            print(f"名册和登记里没有“{scope.town[:30]}”这个镇。有：{'、'.join(towns[:20])}", file=sys.stderr)
            return 2
    report = reports.build_report(store, kb, rule, scope, now)
    if args.format == "xlsx":
        out = Path(args.out or f"report-{safe_stem('city' if scope.town is None else scope.town)}.xlsx")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(report_views.to_xlsx(report, store, kb))
        print(out)
        return 0
    if args.format == "csv":
        view = args.view if args.view in report_views.VIEWS else "people"
        text = report_views.to_csv(report, store, kb, view)
    else:
        view = args.view if args.view in VIEWS_TEXT else "report"
        text = {"report": lambda: report_views.render_report_text(report),
                "unprepared": lambda: report_views.render_unprepared_text(report, store, kb, limit=10 ** 9),
                "unanswered": lambda: report_views.render_unanswered_text(report, limit=10 ** 9)}[view]() + "\n"
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
        print(args.out)
    else:
        sys.stdout.write(text)
    return 0


def cmd_visit_date(args: argparse.Namespace) -> int:
    """Write the visit date into the readiness rule file (``--readiness``/$SHUXI_READINESS/config/readiness.yaml)."""
    from bot.coordination.readiness import set_visit_date

    from bot.kernel import clock

    if date.fromisoformat(args.date) < clock.today():
        print(f"{args.date} is already past (today is {clock.today()}): reminders stop after the visit date; "
              f"give a later day", file=sys.stderr)
        return 2
    try:
        path = set_visit_date(date.fromisoformat(args.date), getattr(args, "readiness", None))
    except (FileNotFoundError, DataFileError) as exc:
        print(f"cannot set the visit date: {exc}", file=sys.stderr)
        return 2
    print(f"visit_date: {args.date} ({path})")
    return 0


def _iso_date(text: str) -> str:
    """argparse type: a YYYY-MM-DD date, kept as text; a clear usage error otherwise."""
    from bot.kernel.clock import parse_date

    try:
        parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2021-10-22 (2000–2099): {text[:30]!r}") from None
    return text


def add_parsers(sub: "argparse._SubParsersAction") -> None:
    """Add the ``roster`` and ``report`` subcommands to ``python -m bot``'s subparsers."""
    v = sub.add_parser("visit-date", help="set the day the assessors arrive (YYYY-MM-DD) in config/readiness.yaml")
    v.add_argument("date", type=_iso_date)
    v.set_defaults(func=cmd_visit_date)
    s = sub.add_parser("roster", help="import the roster, write a template, print invite links")
    rsub = s.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser("import", help="import a .xlsx or .csv roster (姓名, 角色, 镇, 村, 手机号)")
    r.add_argument("file")
    r.set_defaults(func=cmd_roster_import)
    r = rsub.add_parser("template", help="write an empty roster template (.xlsx or .csv)")
    r.add_argument("out", nargs="?", default="samples/roster_template.xlsx")
    r.set_defaults(func=cmd_roster_template)
    r = rsub.add_parser("invites", help="print Telegram invite links (https://t.me/NAME?start=CODE)")
    r.add_argument("--bot-username", metavar="NAME", help="the bot's Telegram username")
    r.add_argument("--web-base", metavar="URL", help="also print web links URL/i/CODE (python -m bot web)")
    r.add_argument("--town", help="only this town")
    r.add_argument("--all", action="store_true", help="also people already bound")
    r.set_defaults(func=cmd_roster_invites)
    from .web import (
        add_roster_parsers,  # [web] roster web-reissue: a person's web sign-in again
    )

    add_roster_parsers(rsub)

    s = sub.add_parser("report", help="readiness report for the city or one town")
    s.add_argument("--scope", default="city", help="city (default) or town:NAME")
    s.add_argument("--format", choices=("text", "csv", "xlsx"), default="text")
    s.add_argument("--view", default=None,
                   help="text: report|unprepared|unanswered (default report); "
                        "csv: summary|people|unprepared|unanswered (default people)")
    s.add_argument("--out", metavar="FILE", help="write here instead of standard output (xlsx: default report-SCOPE.xlsx)")
    s.add_argument("--readiness", metavar="FILE", help="readiness rule (default: $SHUXI_READINESS or config/readiness.yaml)")
    s.add_argument("--today", metavar="DATE", type=_iso_date, help="report as of this date (YYYY-MM-DD), for the countdown and windows")
    s.set_defaults(func=cmd_report)
