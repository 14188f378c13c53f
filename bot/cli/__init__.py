"""``python -m bot``: a thin shell over the core. Each command loads what it needs, calls the library, and turns
library errors into clean messages and exit statuses.

    python -m bot                 terminal chat, or the Telegram bot when TELEGRAM_BOT_TOKEN is set
    python -m bot chat [--as ID]  terminal chat (buttons become numbered choices; stdin may be piped)
    python -m bot serve           Telegram bot (long polling, or --webhook-url URL --port N); needs TELEGRAM_BOT_TOKEN
    python -m bot ask [--json] [--batch FILE] [QUESTION]
    python -m bot validate [PATH]
    python -m bot unanswered [--since DATE]
    python -m bot villages import FILE | template [OUT] | list   (see bot/cli/villages.py)

Exit statuses (each means one thing; see the README):

    0  done
    1  done, but something was skipped or found (rows or cells of an import, a validation finding)
    2  refused: bad usage, a file that cannot be used (over a limit, broken, wrong type), broken data files
    3  the environment failed: the disk is full, or the database stayed locked; nothing half-done is kept
       beyond the batches already committed, and the import can simply be run again
Environment: SHUXI_DB (database file, default ``data/shuxi.db``), SHUXI_KNOWLEDGE, SHUXI_QUIZZES,
SHUXI_ASSESSMENT, TELEGRAM_BOT_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from bot.kernel.yamlfile import DataFileError
from bot.qa import knowledge
from bot.qa.answers import Answerer

# The helpers every subcommand shares live in .common, so subcommand modules never import this one (no cycle).
from .common import DEFAULT_DB, _paths, exit_broken, load_kb, make_dialog, open_store  # noqa: F401


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate every knowledge and quiz file; print all errors; return 1 if any."""
    kroot, qroot = _paths(args)
    if args.path:
        kroot = Path(args.path)
        qroot = kroot.parent / "quizzes" if (kroot.parent / "quizzes").is_dir() else qroot
    try:
        kb = knowledge.load(kroot, qroot, os.environ.get("SHUXI_ASSESSMENT"))
    except DataFileError as exc:
        for err in exc.errors:
            print(err)
        print(f"{len(exc.errors)} error(s)")
        return 1
    from bot.practice.grading import load_synonyms
    from bot.villages import load_fields

    # Feature files beside the knowledge base, when the folder has them: [villages] the village field list,
    # [practice] the interview grader's word groups.
    for path, count in ((kroot / "villages" / "fields.yaml", lambda p: f"{len(load_fields(p).fields)} village fields"),
                        (kroot / "interview_synonyms.yaml",
                         lambda p: f"{len(load_synonyms(p).groups)} interview synonym groups")):
        if not path.is_file():
            continue
        try:
            print(f"ok: {count(path)}")
        except DataFileError as exc:
            for err in exc.errors:
                print(err)
            print(f"{len(exc.errors)} error(s)")
            return 1
    for note in kb.notes:
        print(f"note: {note}")
    print(f"ok: {len(kb.entries)} entries, {len(kb.questions)} quiz questions, "
          f"{len(kb.areas())} areas, {len(kb.indicators())} indicators, {len(kb.curricula)} role curricula, "
          f"{len(kb.interview)} interview questions")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question, or one per line of ``--batch FILE``; log each as asked by ``cli:ask``."""
    kb = load_kb(args)
    answerer = Answerer(kb)
    store = open_store(args) if not args.no_log else None
    person = store.person("cli:ask") if store else None
    if args.batch:
        try:
            # One question per line, and only \n / \r\n end a line (not U+2028 and the like).
            questions = Path(args.batch).read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"cannot read {args.batch} as UTF-8 text: {exc}", file=sys.stderr)
            return 2
        if questions and questions[-1] == "":
            questions.pop()
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        print("give a question, or --batch FILE", file=sys.stderr)
        return 2
    for q in questions:
        match = answerer.match(q)
        if store and person:
            best = match.best
            store.log_question(person.id, q, best.entry.id if best else None, best.score if best else None,
                               match.abstained, match.verdict.value, "cli")
        if args.json:
            print(json.dumps(answerer.as_json(match), ensure_ascii=False), flush=False)
        else:
            reply = answerer.reply(match)
            if reply.title:
                print(reply.title)
            print(reply.text)
            for row in reply.buttons:
                for b in row:
                    print(f"  · {b.label}")
            if len(questions) > 1:
                print()
    sys.stdout.flush()
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print which indicators, thresholds and roles have questions; exit 1 if any is uncovered."""
    from bot.kernel.store import Store
    from bot.practice.coverage import coverage
    from bot.practice.quiz import QuizMaster

    kb = load_kb(args)
    bank = QuizMaster(kb, Store(":memory:")).bank
    cov = coverage(kb, bank)
    for name, (_, missing) in (("indicator", cov.indicators), ("threshold", cov.thresholds), ("role", cov.roles)):
        for item in missing:
            print(f"not covered: {name} {item}")
    curated = len(kb.questions)
    print(f"questions: {curated} curated + {len(bank) - curated} generated from facts; "
          f"{len(kb.interview)} interview questions")
    print(cov.summary())
    return 0 if all(not missing for _, missing in (cov.indicators, cov.thresholds, cov.roles)) else 1


def cmd_unanswered(args: argparse.Namespace) -> int:
    """List abstained and low-confidence questions, most frequent first."""
    if args.since:
        try:
            date.fromisoformat(args.since[:10])
        except ValueError:
            print(f"--since takes a date like 2021-10-15, not {args.since!r}", file=sys.stderr)
            return 2
    rows = open_store(args).unanswered(args.since)
    if not rows:
        print("no unanswered questions")
        return 0
    kroot, qroot = _paths(args)
    try:
        lexicon = knowledge.load(kroot, qroot, os.environ.get("SHUXI_ASSESSMENT")).lexicon
    except DataFileError:
        lexicon = None   # the log is still worth reading while the knowledge base is being fixed
    for r in rows:
        score = "-" if r["max_score"] is None else f"{r['max_score']:.2f}"
        # Which everyday phrases the lexicon knew in it: what to add next is what it did not.
        concepts = "、".join(lexicon.concepts_in(r["text"])) if lexicon is not None else "?"
        print(f"{r['count']:>4}  {score:>5}  {r['last_asked'][:10]}  {r['text'][:80]}  "
              f"(best: {r['best_id'] or '-'}; lexicon: {concepts or '-'})")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Run the dialog in the terminal."""
    from bot.adapters.terminal import run_terminal

    return run_terminal(make_dialog(args), person=getattr(args, "as_person", None) or "me")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the Telegram bot (token from TELEGRAM_BOT_TOKEN): long polling, or a webhook with ``--webhook-url URL
    --port N``. Exit 2 when the token is missing or Telegram rejects it (one line, without the token)."""
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        print("TELEGRAM_BOT_TOKEN is not set; use `python -m bot chat` for the terminal.", file=sys.stderr)
        return 2
    from bot.adapters import telegram

    webhook = None
    url, port = getattr(args, "webhook_url", None), getattr(args, "port", None)
    if url is not None or port is not None:
        if url is None or port is None:
            print("serve: --webhook-url and --port go together", file=sys.stderr)
            return 2
        try:
            webhook = telegram.Webhook(url, port, listen=args.listen)
        except ValueError as exc:
            print(f"serve: {exc}", file=sys.stderr)
            return 2
    services: dict = {}
    dialog = make_dialog(args, services)
    coordinator_ids = [int(key[3:]) for key in services["coordinators"].coordinators if key.startswith("tg:")]
    try:
        telegram.serve(token, dialog, reminders=services["reminders"], coordinator_ids=coordinator_ids,
                       webhook=webhook)
    except telegram.TokenRejected as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for ``python -m bot``."""
    p = argparse.ArgumentParser(prog="python -m bot", description="熟悉 (Shuxi) assessment-preparation bot")
    p.add_argument("--db", help="database file (default: $SHUXI_DB or data/shuxi.db)")
    p.add_argument("--knowledge", help="knowledge folder (default: knowledge/)")
    p.add_argument("--quizzes", help="quiz folder (default: quizzes/)")
    p.add_argument("--today", dest="global_today", metavar="YYYY-MM-DD",
                   help="run as if today were this date (default: $SHUXI_TODAY, else the real date); "
                        "stored times, practice due dates, readiness, reports and reminders all follow it")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("chat", help="chat in the terminal")
    s.add_argument("--as", dest="as_person", metavar="PERSON_ID", help="who you are (default: me)")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("serve", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN); long polling by default")
    s.add_argument("--webhook-url", metavar="URL",
                   help="receive updates by webhook at this https URL (behind a reverse proxy) instead of polling")
    s.add_argument("--port", type=int, metavar="N", help="local port the reverse proxy forwards the webhook to")
    s.add_argument("--listen", default="127.0.0.1", metavar="ADDR",
                   help="local address for the webhook server (default 127.0.0.1)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("ask", help="answer a question (or --batch FILE, one per line)")
    s.add_argument("question", nargs="*")
    s.add_argument("--json", action="store_true", help="print JSON: {query, abstained, answers[]}")
    s.add_argument("--batch", metavar="FILE", help="one question per line; one output per line, in order")
    s.add_argument("--no-log", action="store_true", help="do not record the questions in the database")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("validate", help="check every knowledge and quiz file; exit 1 on any error")
    s.add_argument("path", nargs="?", help="knowledge folder (default: knowledge/)")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("coverage", help="which indicators, thresholds and roles the questions cover")
    s.set_defaults(func=cmd_coverage)

    s = sub.add_parser("unanswered", help="questions the bot could not answer well, most frequent first")
    s.add_argument("--since", metavar="DATE", help="only since this date (YYYY-MM-DD)")
    s.set_defaults(func=cmd_unanswered)

    from bot.cli.coord import add_parsers
    add_parsers(sub)
    from bot.cli.villages import add_parsers as add_village_parsers
    add_village_parsers(sub)
    from bot.cli.web import (
        add_parsers as add_web_parsers,  # [web] python -m bot web, coordinators web-code
    )
    add_web_parsers(sub)
    from bot.cli.grading import add_parsers as add_grading_parsers
    add_grading_parsers(sub)
    return p


EXIT_OK, EXIT_SKIPPED, EXIT_REFUSED, EXIT_ENVIRONMENT = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (:data:`EXIT_OK` … :data:`EXIT_ENVIRONMENT`)."""
    from bot.kernel.store import is_disk_full, is_locked

    args = build_parser().parse_args(argv)
    from bot.kernel import clock

    try:
        if args.global_today:
            clock.set_today(args.global_today)
        clock.today()   # a bad SHUXI_TODAY is reported here, not deep inside a command
    except ValueError:
        print(f"--today / SHUXI_TODAY takes a date like 2021-10-22, not "
              f"{args.global_today or os.environ.get('SHUXI_TODAY')!r}", file=sys.stderr)
        return 2
    try:
        if args.command is None:
            return cmd_serve(args) if os.environ.get("TELEGRAM_BOT_TOKEN", "").strip() else cmd_chat(args)
        return args.func(args)
    except BrokenPipeError:   # `python -m bot ask … | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (sqlite3.OperationalError, OSError) as exc:
        if is_disk_full(exc):
            print(f"磁盘已满，操作未完成（{exc}）：请腾出空间后重新运行，已导入的部分不会重复。", file=sys.stderr)
            return EXIT_ENVIRONMENT
        if is_locked(exc):
            print("数据库一直被占用，操作未完成：请稍后重新运行。", file=sys.stderr)
            return EXIT_ENVIRONMENT
        raise
