"""The roster: import from .csv and .xlsx (bad rows reported by number, re-import updates), invite codes that bind
a chat account once, and the roster commands of the command line."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bot.coordination import invites, roster
from bot.coordination.roster import RosterFileError, import_file, read_roster

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "roster_people.csv"


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_sample_roster_imports_cleanly(store):
    result = import_file(store, SAMPLE)
    assert (result.added, result.updated, result.errors) == (20, 0, [])
    people = roster.entries(store)
    assert len(people) == 20 and {p.town for p in people} == {"嘉积镇", "博鳌镇"}
    names = {p.name: p for p in people}
    assert names["<b>李&明"].role == "village_secretary" and names["小_王"].role == "household_contact"
    assert names["王德福"].role == "village_secretary"          # written 村支书
    assert names["林晓丽"].role == "first_secretary"            # written 第一书记
    assert len({p.invite_code for p in people}) == 20


def test_bad_rows_are_reported_by_row_number_and_skipped(store, tmp_path):
    path = write_csv(tmp_path / "r.csv", [
        ["姓名", "角色", "镇", "村", "手机号"],
        ["好人甲", "村党组织书记", "甲镇", "一村", "13800000000"],     # row 2 ok
        ["", "村医", "甲镇", "一村", ""],                              # row 3 no name
        ["好人乙", "村长大人", "甲镇", "一村", ""],                    # row 4 unknown role
        ["好人丙", "村医", "甲镇", "一村", "12345"],                   # row 5 bad phone
        [],                                                           # row 6 blank: ignored
        ["好人甲", "村医", "甲镇", "一村", ""],                        # row 7 repeats row 2
        ["好人丁", "驻村干部", "甲镇", "", ""],                        # row 8 no village
        ["好人戊", " 驻村第一书记 ", "甲镇", "二村", "138 0000 0001"],  # row 9 ok (blanks ignored)
    ])
    result = import_file(store, path)
    assert result.added == 2
    assert [line for line, _ in result.errors] == [3, 4, 5, 7, 8]
    messages = dict(result.errors)
    assert "姓名为空" in messages[3] and "村长大人" in messages[4] and "手机号" in messages[5]
    assert "第 2 行" in messages[7] and "村为空" in messages[8]
    assert "第 4 行" in result.summary()
    assert {e.name: e.phone for e in roster.entries(store)} == {"好人甲": "13800000000", "好人戊": "13800000001"}


def test_reimport_updates_and_never_duplicates(store, tmp_path):
    first = write_csv(tmp_path / "a.csv", [["姓名", "角色", "镇", "村"], ["甲", "村医", "甲镇", "一村"],
                                           ["乙", "村医", "甲镇", "一村"]])
    import_file(store, first)
    code = next(e for e in roster.entries(store) if e.name == "甲").invite_code
    second = write_csv(tmp_path / "b.csv", [["姓名", "角色", "镇", "村", "手机号"],
                                            ["甲", "村支书", "甲镇", "一村", "13900000000"],
                                            ["乙", "村医", "甲镇", "一村", ""], ["丙", "村医", "甲镇", "二村", ""]])
    result = import_file(store, second)
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    rows = {e.name: e for e in roster.entries(store)}
    assert len(rows) == 3 and rows["甲"].role == "village_secretary" and rows["甲"].phone == "13900000000"
    assert rows["甲"].invite_code == code, "a re-import keeps the invite already sent"


def test_xlsx_roster_with_numeric_phone_and_gbk_csv(store, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "职务", "乡镇", "村", "手机"])
    sheet.append(["<b>李&明", "村党组织书记", "嘉积镇", "椰林村", 13800000001])
    sheet.append(["小_王", "帮扶干部", "嘉积镇", "椰林村", None])
    sheet.append(["=HYPERLINK(1)", "什么角色", "嘉积镇", "椰林村", None])
    book.save(tmp_path / "r.xlsx")
    result = import_file(store, tmp_path / "r.xlsx")
    assert result.added == 2 and [line for line, _ in result.errors] == [4]
    assert {e.name: e.phone for e in roster.entries(store)} == {"<b>李&明": "13800000001", "小_王": None}

    gbk = write_csv(tmp_path / "gbk.csv", [["姓名", "角色", "镇", "村"], ["陈某", "村医", "博鳌镇", "龙湾村"]],
                    encoding="gb18030")
    assert import_file(store, gbk).added == 1


def test_files_that_are_not_rosters_are_refused(tmp_path):
    with pytest.raises(RosterFileError, match="缺少列：角色"):
        read_roster(write_csv(tmp_path / "x.csv", [["姓名", "镇", "村"], ["甲", "甲镇", "一村"]]))
    (tmp_path / "x.txt").write_text("姓名", encoding="utf-8")
    with pytest.raises(RosterFileError, match="xlsx"):
        read_roster(tmp_path / "x.txt")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(RosterFileError):
        read_roster(tmp_path / "bad.xlsx")
    with pytest.raises(FileNotFoundError):
        read_roster(tmp_path / "missing.csv")


def test_template_reads_back_as_an_empty_roster(tmp_path):
    for name in ("t.xlsx", "t.csv"):
        assert read_roster(roster.write_template(tmp_path / name)) == ([], [])


def test_invite_binds_the_account_once(store, dialog, chat):
    import_file(store, SAMPLE)
    entry = next(e for e in roster.entries(store) if e.name == "<b>李&明")
    assert len(entry.invite_code) >= 12 and invites.invite_link("@shuxi_bot", entry.invite_code) == \
        f"https://t.me/shuxi_bot?start={entry.invite_code}"

    reply = chat.say(f"/start {entry.invite_code}")
    assert "绑定成功：<b>李&明，村党组织书记，嘉积镇 椰林村" in reply[0].text
    me = store.person(chat.person)
    assert (me.registered, me.name, me.role, me.town) == (True, "<b>李&明", "village_secretary", "嘉积镇")
    assert invites.entry_of_person(store, me.id).id == entry.id
    assert "绑定成功" in chat.say(f"/start {entry.invite_code}")[0].text, "the same account may follow its link again"

    from tests.conftest import Chat
    other = Chat(dialog, "tg:555")
    assert "已经用过" in other.say(f"/start {entry.invite_code}")[0].text
    assert not store.person("tg:555").registered
    assert "邀请码不对" in other.say("/start nosuchcode123")[0].text

    second = next(e for e in roster.entries(store) if e.name == "小_王")
    assert "已经绑定" in chat.say(f"/start {second.invite_code}")[0].text, "one account, one roster row"
    assert roster.entries(store, unused_only=True) and second in roster.entries(store, unused_only=True)


def test_start_without_code_still_registers(chat):
    assert "请输入您的姓名" in chat.say("/start")[0].text


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, encoding="utf-8")


def test_roster_command_line(tmp_path):
    db = str(tmp_path / "t.db")
    bad = write_csv(tmp_path / "r.csv", [["姓名", "角色", "镇", "村"], ["甲", "村医", "甲镇", "一村"],
                                         ["乙", "不存在", "甲镇", "一村"]])
    out = run("--db", db, "roster", "import", str(bad))
    assert out.returncode == 1 and "新增 1 人" in out.stdout and "第 3 行" in out.stdout
    out = run("--db", db, "roster", "import", str(SAMPLE))
    assert out.returncode == 0 and "新增 20 人" in out.stdout
    out = run("--db", db, "roster", "import", str(SAMPLE))
    assert "新增 0 人" in out.stdout and "未变 20 人" in out.stdout
    out = run("--db", db, "roster", "invites", "--bot-username", "shuxi_bot", "--town", "嘉积镇")
    links = [line for line in out.stdout.splitlines() if "https://t.me/shuxi_bot?start=" in line]
    assert len(links) == 11 and any("<b>李&明" in line for line in links)
    assert run("--db", db, "roster", "import", str(tmp_path / "none.csv")).returncode == 2
    out = run("--db", db, "roster", "template", str(tmp_path / "t.xlsx"))
    assert out.returncode == 0 and (tmp_path / "t.xlsx").is_file()
