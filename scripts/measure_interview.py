"""Measure the interview grader against a set of answers graded by a careful human.

    .venv/bin/python scripts/measure_interview.py [tests/data/interview_answers.yaml] [--show] [--half first|second]

Last line: ``answers=N points=N agreement=0.xxx wrong_figures_credited=N``. ``--show`` lists each disagreement.
``--half first`` keeps the answers whose question id sorts in the first half of the set's ids (the half the grader
was tuned on), ``--half second`` the others (the held-out check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.practice.agreement import load_cases, measure  # noqa: E402
from bot.qa import knowledge  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("file", nargs="?", default=str(knowledge.PROJECT_ROOT / "tests" / "data" / "interview_answers.yaml"))
    p.add_argument("--show", action="store_true", help="list every point graded otherwise than the human did")
    p.add_argument("--half", choices=("first", "second"), help="only answers to the first or second half of the ids")
    args = p.parse_args()
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    cases = load_cases(Path(args.file))
    if args.half:
        ids = sorted({str(c["question"]) for c in cases})
        first = set(ids[:len(ids) // 2])
        cases = [c for c in cases if (str(c["question"]) in first) == (args.half == "first")]
    result = measure(kb.interview, cases)
    if args.show:
        for d in result.disagreements:
            print(f"[{d.kind}] {d.question} | {'MISSED' if d.human else 'WRONGLY CREDITED'}: {d.point}\n    {d.answer}")
    print(result.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
