"""``python -m bot web`` and ``python -m bot coordinators web-code KEY``: the web channel from the command line
(a thin shell over :mod:`bot.adapters.web`).

    python -m bot web [--host 127.0.0.1] [--port 8080]     serve the web channel
    python -m bot coordinators web-code KEY [--web-base URL]
                                                           print a single-use sign-in link for coordinator KEY
    python -m bot roster web-reissue NAME [--town 镇] [--web-base URL]
                                                           end a person's web sessions and print their link again
"""

from __future__ import annotations

import argparse
import sys


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the web channel over the dialog every channel uses; exit 2 on a bad $SHUXI_WEB_SECRET."""
    from bot.adapters.web import config_from_env, create_app, run

    from .common import make_dialog

    try:
        config = config_from_env()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    services: dict = {}
    dialog = make_dialog(args, services)
    app = create_app(dialog, services["coordinators"], config)
    print(f"熟悉 web: http://{args.host}:{args.port}/  (Ctrl-C to stop)", file=sys.stderr)
    run(app, host=args.host, port=args.port)
    return 0


def cmd_coordinator_web_code(args: argparse.Namespace) -> int:
    """Print a sign-in link for a coordinator key of config/coordinators.yaml (or $SHUXI_COORDINATORS); exit 1
    for a key that is not a coordinator."""
    from bot.adapters.web.signin import ensure_schema, new_coordinator_code
    from bot.coordination.coordinators import load_coordinators

    from .common import open_store

    coordinators = load_coordinators()
    if args.key not in coordinators:
        known = ", ".join(sorted(coordinators)) or "none"
        print(f"{args.key} is not a coordinator (config/coordinators.yaml or SHUXI_COORDINATORS; known: {known})",
              file=sys.stderr)
        return 1
    store = open_store(args)
    ensure_schema(store)
    code = new_coordinator_code(store, args.key)
    print(f"{args.web_base.rstrip('/')}/c/{code}")
    return 0


def cmd_web_reissue(args: argparse.Namespace) -> int:
    """End a roster person's web sessions and print a fresh one-time web link for them (valid 24 hours); exit 1
    when the name is not on the roster (in the town), names several people (then give --town), or has not used
    their invite yet."""
    from bot.adapters.web.signin import ensure_schema, reissue_web_invite, web_link
    from bot.coordination.roster import entries

    from .common import open_store

    store = open_store(args)
    ensure_schema(store)
    found = [e for e in entries(store, town=args.town) if e.name == args.name.strip()]
    if len(found) != 1:
        print(f"{'no' if not found else len(found)} roster people named {args.name[:30]!r}"
              f"{' in ' + args.town[:30] if args.town else ''}" + ("; give --town" if found else ""), file=sys.stderr)
        return 1
    if found[0].person_id is None:
        print(f"{found[0].name} has not used their invite yet: send them `roster invites` (their first link)",
              file=sys.stderr)
        return 1
    code = reissue_web_invite(store, found[0].person_id)
    print(f"{found[0].town}\t{found[0].village}\t{found[0].name}\t{web_link(args.web_base, code)}")
    return 0


def add_parsers(sub: "argparse._SubParsersAction") -> None:
    """Add the ``web`` and ``coordinators`` subcommands to ``python -m bot``'s subparsers."""
    s = sub.add_parser("web", help="serve the web channel (phone browsers; coordinators' report pages)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    s.set_defaults(func=cmd_web)

    s = sub.add_parser("coordinators", help="coordinators' web sign-in links")
    csub = s.add_subparsers(dest="coordinators_command", required=True)
    c = csub.add_parser("web-code", help="print a single-use web sign-in link (valid 7 days) for a coordinator key")
    c.add_argument("key", help="the coordinator's key in config/coordinators.yaml, e.g. cli:jiaji or tg:123")
    c.add_argument("--web-base", default="http://127.0.0.1:8080", metavar="URL",
                   help="the web channel's address as people reach it (default http://127.0.0.1:8080)")
    c.set_defaults(func=cmd_coordinator_web_code)


def add_roster_parsers(roster_sub: "argparse._SubParsersAction") -> None:
    """Add ``roster web-reissue`` to the ``roster`` subcommand's subparsers."""
    r = roster_sub.add_parser("web-reissue", help="end a person's web sessions and print their web link again")
    r.add_argument("name", help="the person's name as on the roster")
    r.add_argument("--town", help="the town, when the name repeats")
    r.add_argument("--web-base", default="http://127.0.0.1:8080", metavar="URL",
                   help="the web channel's address as people reach it (default http://127.0.0.1:8080)")
    r.set_defaults(func=cmd_web_reissue)
