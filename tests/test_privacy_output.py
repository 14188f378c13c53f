"""Privacy and output (issue 13, items 15–17): arguments echoed back cut short, file names made from scopes kept
inside the working folder, the terminal chat reading bytes that are not UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli.coord import safe_stem

from .conftest import Chat
from .test_reports import coord, populated  # noqa: F401  (fixtures)
from .test_villages import imported, source  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
LONG = "石" * 4100


def test_16_person_and_village_arguments_are_echoed_cut_short(populated, coord, source, dialog):  # noqa: F811
    reply = coord.say(f"/person {LONG}")[0].text
    assert len(reply) < 120 and "石" * 30 + "…" in reply and "石" * 31 not in reply
    jiaji = Chat(dialog, "cli:jiaji")
    reply = jiaji.say(f"/village {LONG}")[0].text
    assert len(reply) < 120 and "石" * 30 + "…" in reply


def test_15_report_file_names_from_scopes_stay_in_the_working_folder(tmp_path):
    assert safe_stem("../../../escaped") == "escaped"
    assert "/" not in safe_stem("嘉积镇/../x") and safe_stem("...") == "scope" and safe_stem("嘉积镇") == "嘉积镇"
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "--knowledge",
                           str(ROOT / "knowledge"), "--quizzes", str(ROOT / "quizzes"), "report", "--scope",
                           "town:../../../escaped", "--format", "xlsx"], cwd=work, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    written = [p for p in tmp_path.rglob("*.xlsx")]
    assert done.returncode == 0 and written, done.stderr
    assert all(work in p.parents for p in written), written
    assert not (tmp_path.parent.parent / "escaped.xlsx").exists()


def test_17_chat_reads_bytes_that_are_not_utf8(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "chat"], cwd=ROOT,
                          input=b"\xff\xfe\xb2\xbb\n\xe4\xbd\xa0\xe5\xa5\xbd\n/help\n", capture_output=True,
                          timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"UnicodeDecodeError" not in done.stderr
    assert "/help" in done.stdout.decode()
