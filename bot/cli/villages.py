"""``python -m bot villages …``: village sheets from the command line (a thin shell over :mod:`bot.villages`).

    python -m bot villages import FILE      import a .xlsx/.csv of village sheets; every bad cell listed (sheet, row,
                                            column) and skipped; exit 1 if any
    python -m bot villages template [OUT]   write the empty template (.xlsx, default samples/village_template.xlsx,
                                            or .csv)
    python -m bot villages list [--town 镇]  the imported villages: town, village, fields filled, import date

The field list is ``<knowledge>/villages/fields.yaml`` (``--knowledge`` or SHUXI_KNOWLEDGE, default
``knowledge/``). Exit statuses: 0 ok, 1 some cells skipped, 2 the file or the field list cannot be used.
"""

from __future__ import annotations

import argparse
import sys

from .common import load_fields_or_exit, open_store


def cmd_villages_import(args: argparse.Namespace) -> int:
    """Import village sheets; print the summary and every skipped cell; return 1 if any cell was skipped."""
    from bot.villages import VillageFileError, import_file

    fields = load_fields_or_exit(args)
    try:
        result = import_file(open_store(args), args.file, fields)
    except (VillageFileError, FileNotFoundError) as exc:
        print(f"无法导入：{exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 1 if result.errors else 0


def cmd_villages_template(args: argparse.Namespace) -> int:
    """Write the empty village template."""
    from bot.villages import VillageFileError, write_template

    fields = load_fields_or_exit(args)
    try:
        print(write_template(args.out, fields))
    except (VillageFileError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def cmd_villages_list(args: argparse.Namespace) -> int:
    """List the imported villages (all, or one town's)."""
    from bot.villages import sheets_in_scope

    fields = load_fields_or_exit(args)
    sheets = sheets_in_scope(open_store(args), args.town)
    if not sheets:
        print("还没有导入村情表。", file=sys.stderr)
        return 0
    print("镇\t村\t已填字段\t导入日期")
    for s in sheets:
        filled = sum(1 for f in fields.fields if f.key in s.values)
        print(f"{s.town}\t{s.village}\t{filled}/{len(fields.fields)}\t{s.imported_on()}")
    return 0


def add_parsers(sub: "argparse._SubParsersAction") -> None:
    """Add the ``villages`` subcommands to ``python -m bot``'s subparsers."""
    s = sub.add_parser("villages", help="village fact cards: import sheets, write the template, list villages")
    vsub = s.add_subparsers(dest="villages_command", required=True)
    v = vsub.add_parser("import", help="import a .xlsx or .csv of village sheets (镇, 村, one column per field)")
    v.add_argument("file")
    v.set_defaults(func=cmd_villages_import)
    v = vsub.add_parser("template", help="write the empty village template (.xlsx or .csv)")
    v.add_argument("out", nargs="?", default="samples/village_template.xlsx")
    v.set_defaults(func=cmd_villages_template)
    v = vsub.add_parser("list", help="the imported villages, with fields filled and import date")
    v.add_argument("--town", help="only this town")
    v.set_defaults(func=cmd_villages_list)
