"""``python -m bot grade-interview``: grade typed mock-interview answers from outside the chat.

    python -m bot grade-interview --json --batch FILE

FILE holds one JSON object a line, ``{"question": ID, "answer": TEXT}`` (ID as in ``quizzes/*/interview.yaml``);
one line is printed for each: ``{"question": ID, "score": 0-100, "points": [{"point": TEXT, "covered": BOOL}]}``.
A line that is not such an object, or names an unknown question, prints ``{"question": ID, "error": TEXT}`` and the
exit status is 1; the other lines are still graded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def grade_line(by_id: dict, line: str) -> tuple[dict, bool]:
    """Grade one input line; return (the output object, True when it was graded)."""
    from bot.practice.grading import grade_interview

    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"question": None, "error": f"not JSON: {exc.msg}"}, False
    if not isinstance(item, dict) or not isinstance(item.get("answer"), str):
        return {"question": item.get("question") if isinstance(item, dict) else None,
                "error": "expected {\"question\": ID, \"answer\": TEXT}"}, False
    question = by_id.get(item.get("question"))
    if question is None:
        return {"question": item.get("question"), "error": "unknown question id"}, False
    grade = grade_interview(question, item["answer"])
    covered = {id(p) for p in grade.covered}
    score = grade.score
    return {"question": question.id, "score": int(score) if float(score).is_integer() else score,
            "points": [{"point": p.point, "covered": id(p) in covered} for p in question.key_points]}, True


def cmd_grade_interview(args: argparse.Namespace) -> int:
    """Grade each line of ``--batch FILE`` (see the module docstring); return 1 if any line was refused."""
    from .common import load_kb

    if not args.batch:
        print("give --batch FILE (one {\"question\": ID, \"answer\": TEXT} per line)", file=sys.stderr)
        return 2
    try:
        text = Path(args.batch).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.batch} as UTF-8 text: {exc}", file=sys.stderr)
        return 2
    by_id = {q.id: q for q in load_kb(args).interview}
    status = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        out, ok = grade_line(by_id, line)
        status = status if ok else 1
        if args.json:
            print(json.dumps(out, ensure_ascii=False))
        elif ok:
            marks = " ".join(("✔" if p["covered"] else "✘") + p["point"] for p in out["points"])
            print(f"{out['question']}\t{out['score']}\t{marks}")
        else:
            print(f"{out['question']}\t{out['error']}")
    return status


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``grade-interview`` to the command line."""
    s = sub.add_parser("grade-interview", help="grade typed interview answers (--batch FILE of JSON lines)")
    s.add_argument("--json", action="store_true", help="print one JSON object per line")
    s.add_argument("--batch", metavar="FILE", help='one {"question": ID, "answer": TEXT} per line')
    s.set_defaults(func=cmd_grade_interview)
