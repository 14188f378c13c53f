"""Storage and processes as they really fail (issue 13, items 10–13): a long import while the bot answers, a kill
between an answer and its card, a full disk, and "billion laughs" YAML. Each test builds its own input."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import bot.cli.common  # noqa: F401  (cli.common below)
from bot import cli
from bot.dialog import Dialog
from bot.kernel.store import Store
from bot.kernel.yamlfile import DataFileError, load_model
from bot.villages.fields import VillageFieldsFile

from .conftest import Chat
from .test_dialog import register, right_answer

ROOT = Path(__file__).resolve().parents[1]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


# --------------------------------------------------------------------------- 10. readers take no write lock
def test_10_opening_the_store_takes_no_write_lock_when_no_migration_is_pending(tmp_path):
    path = tmp_path / "shuxi.db"
    Store(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")   # an import holding the write lock
    writer.execute("insert into people (key, registered, created_at) values ('cli:x', 0, 'now')")
    try:
        started = time.monotonic()
        reader = Store(path)             # e.g. `python -m bot report`
        assert time.monotonic() - started < 1.0
        assert reader.db.execute("select count(*) from people").fetchone()[0] == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_10_a_pending_migration_is_still_applied_once(tmp_path):
    path = tmp_path / "shuxi.db"
    store = Store(path)
    store.db.execute("delete from migrations where name = '007_village_facts'")
    store.db.execute("drop table village_facts")
    store.db.conn.commit()
    assert Store(path).pending_migrations() == []
    assert Store(path).db["village_facts"].exists()


def _village_csv(path: Path, count: int) -> Path:
    lines = ["镇,村,户数,人口,脱贫户户数,小额信贷余额,工作队队长"]
    lines += [f"镇{i % 50},村{i},{300 + i % 90},{1200 + i % 300},{40 + i % 9},{58.6 + i % 7:.1f},队长{i}"
              for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_10_an_import_of_20000_villages_runs_while_the_bot_answers(kb, tmp_path):
    db = tmp_path / "shuxi.db"
    Store(db)
    sheet = _village_csv(tmp_path / "villages.csv", 20_000)
    bot_store = Store(db)
    bot_store.db.execute("PRAGMA busy_timeout=800")   # far stricter than the bot's own 5 s
    chat = Chat(Dialog(kb, bot_store), "cli:answering")
    register(chat)
    importing = subprocess.Popen([sys.executable, "-m", "bot", "--db", str(db), "villages", "import", str(sheet)],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    answered = during_write = 0
    reports: list[threading.Thread] = []
    reported: list[subprocess.CompletedProcess] = []
    try:
        while importing.poll() is None:
            chat.say("/quiz 3")
            for _ in range(3):
                session = bot_store.open_session(bot_store.person("cli:answering").id)
                if session is None:
                    break
                chat.say(right_answer(chat.dialog, session))
                answered += "回答正确" in chat.text or "回答错误" in chat.text
            chat.say("小额信贷逾期率多少")
            if bot_store.db.execute("select count(*) from village_facts").fetchone()[0]:
                during_write += 1
                if not reports:   # a coordinator's report while the import writes
                    reports.append(threading.Thread(target=lambda: reported.append(subprocess.run(
                        [sys.executable, "-m", "bot", "--db", str(db), "report"], cwd=ROOT, capture_output=True,
                        text=True, env=env(), timeout=120))))
                    reports[0].start()
    finally:
        out, err = importing.communicate(timeout=600)
        for thread in reports:
            thread.join()
    assert importing.returncode == 0, err
    assert "新增 20000" in out
    assert during_write >= 2, "the bot should have answered while the import was writing"
    assert len(reported) == 1 and reported[0].returncode == 0, reported[0].stderr
    person = bot_store.person("cli:answering")
    assert answered and len(bot_store.answers(person.id)) == answered   # every answer recorded, none lost
    assert bot_store.db.execute("select count(distinct village_key) from village_facts").fetchone()[0] == 20_000


def test_10_imports_commit_in_short_batches(tmp_path):
    store = Store(tmp_path / "shuxi.db")
    commits = []
    store.db.conn.set_trace_callback(lambda sql: commits.append(time.monotonic()) if sql == "COMMIT" else None)
    from bot.villages import import_file, load_fields

    result = import_file(store, _village_csv(tmp_path / "v.csv", 3000), load_fields())
    assert result.added == 3000
    assert len(commits) >= 3   # not one long transaction


# ------------------------------------------------------------------------- 11. a kill between answer and card
KILL = """
import os, random, sys
from pathlib import Path
sys.path.insert(0, ".")
from bot.qa import knowledge
from bot.dialog import Dialog
from bot.kernel.store import Store
from bot.practice import spaced
from tests.conftest import Chat
from tests.test_dialog import register, right_answer
store = Store(sys.argv[1])
chat = Chat(Dialog(knowledge.load(), store), "cli:killed")
if sys.argv[2] == "start":
    register(chat)
    chat.say("/practice")
    chat.say(right_answer(chat.dialog, store.open_session(store.person("cli:killed").id)))
    sys.exit(0)
def killed(*args, **kwargs):
    os._exit(9)   # as kill -9: no cleanup, no rollback, no commit
spaced.Practice.review = killed                   # where the card was written after the answer's commit
spaced.Practice.review_in_transaction = killed    # where it is written inside it
chat.say(right_answer(chat.dialog, store.open_session(store.person("cli:killed").id)))
"""


def test_11_a_kill_between_an_answer_and_its_card_leaves_both_or_neither(tmp_path):
    db = tmp_path / "shuxi.db"
    run = lambda step: subprocess.run([sys.executable, "-c", KILL, str(db), step], cwd=ROOT, capture_output=True,
                                      text=True, env=env(), timeout=120)
    assert run("start").returncode == 0
    assert run("kill").returncode == 9
    store = Store(db)
    person = store.person("cli:killed")
    answers = store.db.execute("select count(*) from quiz_answers where person_id = ? and mode = 'practice'",
                               [person.id]).fetchone()[0]
    reps = store.db.execute("select coalesce(sum(reps), 0) from cards where person_id = ?", [person.id]).fetchone()[0]
    assert (answers, reps) == (1, 1)
    # the question the kill interrupted is still open, and answering it again is recorded with its card
    kb_dialog = Dialog(__import__("bot.qa.knowledge", fromlist=["load"]).load(), store)
    chat = Chat(kb_dialog, "cli:killed")
    chat.say(right_answer(kb_dialog, store.open_session(person.id)))
    assert "回答正确" in chat.text
    reps = store.db.execute("select coalesce(sum(reps), 0) from cards where person_id = ?", [person.id]).fetchone()[0]
    assert (len(store.answers(person.id)), reps) == (2, 2)


# ------------------------------------------------------------------------------------------ 12. disk full
def test_12_a_full_disk_during_an_import_exits_3_with_one_line(tmp_path, monkeypatch, capsys):
    db = tmp_path / "shuxi.db"
    Store(db)

    class FullDisk(Store):
        def __init__(self, path):
            super().__init__(path)
            pages = self.db.execute("pragma page_count").fetchone()[0]
            self.db.execute(f"pragma max_page_count = {pages + 2}")   # SQLite's own "database or disk is full"

    monkeypatch.setattr(cli.common, "Store", FullDisk)
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,角色,镇,村\n" + "".join(f"测试{i},村支书,嘉积镇,村{i}\n" for i in range(3000)),
                      encoding="utf-8")
    status = cli.main(["--db", str(db), "roster", "import", str(roster)])
    out, err = capsys.readouterr()
    assert status == 3 != 1
    assert len(err.strip().splitlines()) == 1 and "磁盘已满" in err and "Traceback" not in err


def test_12_exit_statuses_mean_one_thing_each(tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_text("姓名,角色,镇,村\n测试甲,村支书,嘉积镇,椰林村\n", encoding="utf-8")
    skipped = tmp_path / "skipped.csv"
    skipped.write_text("姓名,角色,镇,村\n测试甲,村支书,嘉积镇,椰林村\n测试乙,,嘉积镇,椰林村\n", encoding="utf-8")
    refused = tmp_path / "refused.txt"
    refused.write_text("x", encoding="utf-8")
    for path, status in ((ok, 0), (skipped, 1), (refused, 2)):
        done = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "roster", "import",
                               str(path)], cwd=ROOT, capture_output=True, text=True, env=env(), timeout=60)
        assert done.returncode == status, (path, done.stderr)
        assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------- 13. YAML bombs
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


@pytest.mark.parametrize("where", ["knowledge/villages/fields.yaml", "knowledge/qionghai-2021/99-extra.yaml"])
def test_13_yaml_anchors_and_aliases_are_refused_at_once_with_file_and_line(tmp_path, where):
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", copy)
    target = tmp_path / where
    target.write_text("# nested aliases\n" + LAUGHS, encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bot", "validate", str(copy)], cwd=ROOT, capture_output=True,
                          text=True, env=env(), timeout=60, preexec_fn=_limited)
    assert time.monotonic() - started < 30
    assert done.returncode == 1, done.stderr
    assert f"{target.name}:2:" in done.stdout and "anchors" in done.stdout
    assert "MemoryError" not in done.stderr


def test_13_an_alias_alone_is_refused_too(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("version: 1\nfields:\n  - &f {key: households}\n  - *f\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_model(path, VillageFieldsFile)
    assert [(e.line, "anchors" in e.message) for e in caught.value.errors] == [(3, True)]
    path.write_text("a: 'R&D * 2'\n", encoding="utf-8")   # & and * inside text are text
    with pytest.raises(DataFileError) as caught:
        load_model(path, VillageFieldsFile)
    assert "anchors" not in str(caught.value)
