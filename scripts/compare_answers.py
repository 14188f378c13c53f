#!/usr/bin/env python3
"""Show that a change keeps the Q&A's answers: run ``python -m bot ask --no-log --json --batch`` on a question set
at a git ref and at the work tree, and list every question whose output differs.

    .venv/bin/python scripts/compare_answers.py REF [QUESTIONS.yaml ...]

Default question sets: ../shared/eval/qa_dev.yaml and ../shared/eval/qa_spoken_dev.yaml (when present) and
tests/data/qa_probe.yaml. The ref is checked out with ``git worktree`` into a temporary folder and run with this
environment's Python. Last line: ``same=N differ=M``; exit status 1 when any output differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "qa_dev.yaml", ROOT.parent / "shared" / "eval" / "qa_spoken_dev.yaml",
                ROOT / "tests" / "data" / "qa_probe.yaml"]


def answers(tree: Path, questions: Path, db: Path) -> list[dict]:
    """Run the tree's ``ask --json --batch`` on one question per line; return the JSON objects."""
    env = {**os.environ, "PYTHONPATH": str(tree), "SHUXI_KNOWLEDGE": str(tree / "knowledge"),
           "SHUXI_QUIZZES": str(tree / "quizzes")}
    out = subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "ask", "--no-log", "--json", "--batch",
                          str(questions)], cwd=tree, env=env, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    ref, sets = sys.argv[1], [Path(p) for p in sys.argv[2:]] or [p for p in DEFAULT_SETS if p.is_file()]
    same = differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), ref], cwd=ROOT, check=True)
        try:
            for path in sets:
                items = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
                qfile = Path(tmp) / "questions.txt"
                qfile.write_text("".join(it["q"].replace("\n", " ") + "\n" for it in items), encoding="utf-8")
                before = answers(old, qfile, Path(tmp) / "old.db")
                after = answers(ROOT, qfile, Path(tmp) / "new.db")
                for a, b in zip(before, after):
                    if a == b:
                        same += 1
                        continue
                    differ += 1
                    ids = lambda o: [x["id"] for x in o["answers"]][:3]   # noqa: E731
                    print(f"{path.name}: {a['query']}\n  before {a['abstained']} {ids(a)}\n  after  {b['abstained']} {ids(b)}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    print(f"same={same} differ={differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
