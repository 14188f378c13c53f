"""The command line: the Q&A contract outside checks rely on, validate, and start-up on a broken knowledge base."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None, stdin=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
                          env=full_env, input=stdin, encoding="utf-8")


def test_ask_json_contract(tmp_path):
    out = run("--db", str(tmp_path / "t.db"), "ask", "--json", "小额信贷逾期率多少")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert set(obj) == {"query", "abstained", "answers"} and obj["query"] == "小额信贷逾期率多少"
    assert obj["abstained"] is False and "0.5%" in obj["answers"][0]["text"]
    assert set(obj["answers"][0]) == {"id", "title", "text", "score"}


def test_ask_batch_keeps_order_and_logs(tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("逾期率\n护照怎么办理\n\n😀\n", encoding="utf-8")
    out = run("--db", str(tmp_path / "t.db"), "ask", "--json", "--batch", str(qfile))
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    objs = [json.loads(line) for line in lines]
    assert [o["query"] for o in objs] == ["逾期率", "护照怎么办理", "", "😀"]
    assert [o["abstained"] for o in objs] == [False, True, True, True]
    listed = run("--db", str(tmp_path / "t.db"), "unanswered")
    assert "护照怎么办理" in listed.stdout and "逾期率" not in listed.stdout
    later = run("--db", str(tmp_path / "t.db"), "unanswered", "--since", "2999-01-01")
    assert later.stdout.strip() == "no unanswered questions"


def test_ask_plain_prints_answer_and_source(tmp_path):
    out = run("--db", str(tmp_path / "t.db"), "ask", "两后生")
    assert "职业教育" in out.stdout and "来源" in out.stdout


def test_validate_passes_on_the_real_data_and_reports_the_known_note():
    out = run("validate")
    assert out.returncode == 0, out.stdout
    assert "note: area.work" in out.stdout and "ok:" in out.stdout


def test_broken_knowledge_stops_start_up_with_status_2(tmp_path):
    kroot = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kroot)
    bad = kroot / "qionghai-2021" / "34-work-finance.yaml"
    bad.write_text(bad.read_text(encoding="utf-8") + "  - id: x\n    kind: overview\n    answer: no\n",
                   encoding="utf-8")
    out = run("--knowledge", str(kroot), "--db", str(tmp_path / "t.db"), "chat", stdin="你好\n")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "34-work-finance.yaml" in out.stderr
    out = run("validate", str(kroot))
    assert out.returncode == 1 and "put it in quotes" in out.stdout


def test_chat_with_piped_input(tmp_path):
    out = run("--db", str(tmp_path / "t.db"), "chat", "--as", "zhang",
              stdin="/start\n张三\n8\n嘉积镇\n椰林村\n/quiz 1\n1\n提交\n逾期率\n")
    assert out.returncode == 0, out.stderr
    assert "[8] 帮扶联系人" in out.stdout and "登记完成：张三，帮扶联系人" in out.stdout   # buttons by number
    # "1" answers a one-answer question; on a multiple-choice one it ticks option 1 and 提交 submits
    assert "第 1/1 题" in out.stdout and "练习结束" in out.stdout
    assert "0.5%" in out.stdout


def test_serve_without_token_explains():
    out = run("serve", env={"TELEGRAM_BOT_TOKEN": ""})
    assert out.returncode == 2 and "TELEGRAM_BOT_TOKEN" in out.stderr


def test_terminal_survives_odd_digits_and_bad_bytes(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "chat"], cwd=ROOT,
                          input="①\n²\n".encode() + b"\xff\xfe\n" + b"9" * 5000 + b"\n/quiz " + b"9" * 5000 + b"\n",
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-500:]
    assert b"Traceback" not in proc.stderr


def test_bad_database_path_and_unreadable_batch_file_get_clean_errors(tmp_path):
    out = run("--db", str(tmp_path), "ask", "逾期率")
    assert out.returncode == 2 and "cannot open the database" in out.stderr and "Traceback" not in out.stderr
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("逾期率".encode("gbk"))
    out = run("--db", str(tmp_path / "t.db"), "ask", "--json", "--batch", str(gbk))
    assert out.returncode == 2 and "UTF-8" in out.stderr and "Traceback" not in out.stderr
    out = run("--db", str(tmp_path / "t.db"), "unanswered", "--since", "yesterday")
    assert out.returncode == 2 and "--since" in out.stderr


def test_coverage_reports_every_indicator_threshold_and_role():
    out = run("coverage")
    assert out.returncode == 0, out.stdout
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("indicators=21/21 thresholds=") and last.endswith("roles=10/10")
    covered, total = last.split("thresholds=")[1].split()[0].split("/")
    assert covered == total


def test_practice_resumes_after_a_restart_in_the_terminal(tmp_path):
    db = str(tmp_path / "t.db")
    first = run("--db", db, "chat", "--as", "wang", stdin="/start\n王小明\n5\n嘉积镇\n椰林村\n/practice\n")
    assert "村党组织书记必须掌握的内容" in first.stdout and "第 1/10 题" in first.stdout
    # a new process: the practice session is still open, and the next answer continues it
    second = run("--db", db, "chat", "--as", "wang", stdin="1\n提交\n")
    assert "第 2/10 题" in second.stdout
    contact = run("--db", db, "chat", "--as", "li", stdin="/start\n李小红\n8\n嘉积镇\n椰林村\n/practice\n")
    assert "帮扶联系人必须掌握的内容" in contact.stdout


def test_every_cli_command_is_documented_in_the_readme():
    """As sqlite-utils checks: each `python -m bot` subcommand appears in the README's command table."""
    import argparse
    from pathlib import Path

    from bot.cli import build_parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| command | what it does |"):readme.index("### Exit statuses")]
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    names = list(sub.choices)
    assert len(names) >= 12
    missing = [n for n in names if f"`{n}" not in table and f"· `{n}" not in table]
    assert missing == []


@pytest.mark.parametrize("args", [["--today", "0001-01-01", "report"], ["visit-date", "9999-12-31"],
                                  ["--today", "2021-02-30", "report"]])
def test_impossible_dates_are_refused_in_one_line(tmp_path, args):
    """A typo in a date is a usage error (exit 2, one line), never an overflow deep inside a report."""
    out = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), *args],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.strip()


def test_an_impossible_date_in_the_readiness_rule_names_file_line_and_field(tmp_path):
    rule = tmp_path / "readiness.yaml"
    rule.write_text("visit_date: 2026-13-45\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "report"],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, "SHUXI_READINESS": str(rule)})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{rule}:1: visit_date:" in out.stderr
