"""Files as they really come (issue 13, items 1–9): sheets seen as a person sees them in Excel or WPS, and limits
on every file a user hands over. Each test builds its own input file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.coordination.roster import import_file as import_roster
from bot.kernel.sheets import Limits, SpreadsheetError, open_book
from bot.kernel.store import Store
from bot.villages import VillageFileError, load_fields, read_village_file
from bot.villages import import_file as import_villages

ROOT = Path(__file__).resolve().parents[1]
FIELDS = load_fields()
HEADER = ["姓名", "角色", "镇", "村", "手机号"]
PEOPLE = [["测试甲", "村支书", "嘉积镇", "椰林村", "13800000011"],
          ["测试乙", "第一书记", "嘉积镇", "椰林村", "13800000012"],
          ["测试丙", "工作队员", "嘉积镇", "椰林村", "13800000013"]]


def xlsx(path: Path, rows: list[list], title: str = "名册") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewrite(path: Path, member: str, change) -> Path:
    """Rewrite one member of a zip (an .xlsx part) through ``change(text) -> text``."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()}
    parts[member] = change(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return path


def set_dimension(path: Path, ref: str) -> Path:
    return rewrite(path, "xl/worksheets/sheet1.xml",
                   lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml))


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def names(store: Store) -> list[tuple]:
    return [tuple(r.values()) for r in store.db.query("select name, town, village from roster order by name")]


def facts(store: Store) -> dict[str, str]:
    return {r["field"]: r["value"] for r in store.db.query("select field, value from village_facts")}


# ------------------------------------------------------------------------------------------ 1. dimension A1
def test_1_a_dimension_of_a1_still_reads_every_row(tmp_path, store):
    path = set_dimension(xlsx(tmp_path / "r.xlsx", [HEADER] + PEOPLE), "A1")
    result = import_roster(store, path)
    assert (result.added, result.errors) == (3, [])
    assert len(names(store)) == 3


# ------------------------------------------------------------------------------- 2. a huge claimed dimension
def test_2_a_dimension_claiming_the_whole_sheet_is_read_in_seconds(tmp_path):
    path = set_dimension(xlsx(tmp_path / "r.xlsx", [HEADER] + PEOPLE), "A1:XFD1048576")
    # as some generators write it: the last row of the sheet formatted, holding nothing
    path = rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        "</sheetData>", '<row r="1048576" customFormat="1"><c r="XFD1048576" s="0"/></row></sheetData>'))
    assert path.stat().st_size < 10_000
    done = run_cli("--db", str(tmp_path / "t.db"), "roster", "import", str(path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "新增 3 人" in done.stdout


def test_2_far_away_content_is_refused_not_walked(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active["XFD1048576"] = "x"
    book.save(tmp_path / "far.xlsx")
    with pytest.raises(SpreadsheetError, match="超过"):
        with open_book(tmp_path / "far.xlsx") as b:
            for _, rows in b.sheets():
                list(rows)


# ------------------------------------------------------------------------------------------ 3. merged cells
def test_3_town_and_village_merged_over_rows_fill_every_row(tmp_path, store):
    rows = [HEADER, PEOPLE[0], PEOPLE[1][:2] + [None, None, PEOPLE[1][4]], PEOPLE[2][:2] + [None, None, PEOPLE[2][4]]]
    path = xlsx(tmp_path / "r.xlsx", rows)
    book = openpyxl.load_workbook(path)
    book.active.merge_cells("C2:C4")
    book.active.merge_cells("D2:D4")
    book.save(path)
    result = import_roster(store, path)
    assert (result.added, result.errors) == (3, [])
    assert names(store) == [("测试丙", "嘉积镇", "椰林村"), ("测试乙", "嘉积镇", "椰林村"), ("测试甲", "嘉积镇", "椰林村")]


# ----------------------------------------------------------------------------- 4. formula without a result
def test_4_a_formula_without_a_stored_result_is_refused_by_cell(tmp_path, store):
    path = xlsx(tmp_path / "v.xlsx", [["镇", "村", "户数", "人口", "脱贫户户数"],
                                       ["嘉积镇", "椰林村", 320, "=C2*4", 45]], title="嘉积镇")
    result = import_villages(store, path, FIELDS)   # openpyxl writes formulas without a computed value
    assert [str(e) for e in result.errors] == [
        "工作表“嘉积镇”第 2 行 D 列（人口）：公式没有计算结果：请在 Excel 或 WPS 中打开并保存后再导入"]
    assert facts(store) == {"households": "320", "lifted_households": "45"}
    assert result.blank == 0
    done = run_cli("--db", str(tmp_path / "t.db"), "villages", "import", str(path))
    assert done.returncode == 1 and "公式没有计算结果" in done.stdout


def test_4_a_formula_with_a_stored_result_is_read(tmp_path, store):
    path = xlsx(tmp_path / "v.xlsx", [["镇", "村", "户数", "人口"], ["嘉积镇", "椰林村", 320, "=C2*4"]])
    path = rewrite(path, "xl/worksheets/sheet1.xml",
                   lambda xml: re.sub(r"(<f>C2\*4</f>)(<v\s*/>|<v></v>)?", r"\1<v>1280</v>", xml))
    result = import_villages(store, path, FIELDS)
    assert result.errors == [] and facts(store)["population"] == "1280"


# ------------------------------------------------------------------------------------------ 5. hidden sheet
def test_5_a_hidden_sheet_is_skipped_and_named(tmp_path, store):
    book = openpyxl.Workbook()
    old = book.active
    old.title = "旧名册（2020）"
    old.append(HEADER)
    old.append(["旧人员甲", "村支书", "嘉积镇", "椰林村", "13800000099"])
    old.sheet_state = "hidden"
    current = book.create_sheet("名册")
    for row in [HEADER] + PEOPLE:
        current.append(row)
    book.active = 1
    book.save(tmp_path / "r.xlsx")
    result = import_roster(store, tmp_path / "r.xlsx")
    assert (result.added, result.errors) == (3, [])
    assert "旧人员甲" not in str(names(store))
    assert "隐藏的工作表未导入：“旧名册（2020）”" in result.summary()
    _, _, blank = read_village_file(_village_with_hidden(tmp_path), FIELDS, notes := [])
    assert notes == ["隐藏的工作表未导入：“去年”"]


def _village_with_hidden(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "去年"
    book.active.append(["镇", "村", "户数"])
    book.active.append(["嘉积镇", "椰林村", 300])
    book.active.sheet_state = "hidden"
    now = book.create_sheet("今年")
    now.append(["镇", "村", "户数"])
    now.append(["嘉积镇", "椰林村", 320])
    book.active = 1
    book.save(tmp_path / "v.xlsx")
    return tmp_path / "v.xlsx"


def test_5_the_header_is_found_below_title_rows(tmp_path, store):
    path = xlsx(tmp_path / "r.xlsx", [["嘉积镇2021年迎检人员名册"], ["填报单位：嘉积镇", None, None, "日期：2021-10-01"],
                                       [], HEADER] + PEOPLE)
    assert import_roster(store, path).added == 3
    path = xlsx(tmp_path / "v.xlsx", [["村情表"], ["镇", "村", "户数"], ["嘉积镇", "椰林村", 320]])
    rows, errors, _ = read_village_file(path, FIELDS)
    assert errors == [] and rows[0].values == {"households": "320"}


# --------------------------------------------------------------------------------------- 6. float artefacts
def test_6_float_artefacts_are_rounded_to_the_fields_precision(tmp_path, store):
    path = xlsx(tmp_path / "v.xlsx", [["镇", "村", "户数", "小额信贷余额"],
                                       ["嘉积镇", "椰林村", 320.00000000000006, 58.599999999999994]])
    result = import_villages(store, path, FIELDS)
    assert result.errors == []
    assert facts(store) == {"households": "320", "microcredit_balance": "58.6"}
    # typed as text (a CSV), the same artefacts are read by the field's precision
    csv_path = tmp_path / "v.csv"
    csv_path.write_text("镇,村,户数,小额信贷余额\n嘉积镇,椰林村,320.00000000000006,58.599999999999994\n",
                        encoding="utf-8")
    rows, errors, _ = read_village_file(csv_path, FIELDS)
    assert errors == [] and rows[0].values == {"households": "320", "microcredit_balance": "58.6"}
    # a real fraction is still not a count
    rows, errors, _ = read_village_file(xlsx(tmp_path / "w.xlsx", [["镇", "村", "户数"], ["嘉积镇", "椰林村", 320.5]]),
                                        FIELDS)
    assert "不是整数" in str(errors[0])


# --------------------------------------------------------------------------------------- 7. spoken numbers
def test_7_spoken_numbers_in_cells_are_read_by_the_figures_module(tmp_path, store):
    path = tmp_path / "v.csv"
    path.write_text("\ufeff镇,村,户数,人口\n嘉积镇,椰林村,三百二,一千二\n", encoding="utf-8")
    result = import_villages(store, path, FIELDS)
    assert result.errors == []
    assert facts(store) == {"households": "320", "population": "1200"}


# ------------------------------------------------------------------------------------ 8. CSV, huge field
def test_8_a_csv_with_an_unbalanced_quote_is_refused_cleanly(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('镇,村,户数\n嘉积镇,"椰林村,320\n' + "某某，" * 50_000 + "\n嘉积镇,石头村,200\n", encoding="utf-8")
    with pytest.raises(VillageFileError, match="引号不成对"):
        read_village_file(path, FIELDS)
    done = run_cli("--db", str(tmp_path / "t.db"), "villages", "import", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "引号不成对" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------- 9. bombs and limits
def _bomb(path: Path, member: str, head: bytes, unit: bytes, count: int, tail: bytes, zip64: bool = True) -> Path:
    template = xlsx(path.with_suffix(".tmp.xlsx"), [["镇", "村", "户数"], ["嘉积镇", "椰林村", 320]])
    with zipfile.ZipFile(template) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in parts.items():
            if name != member:
                dst.writestr(name, data)
        with dst.open(member, "w", force_zip64=zip64) as out:
            out.write(head)
            block = unit * 4096
            for _ in range(count // 4096):
                out.write(block)
            out.write(tail)
    return path


MEASURE = """
import resource, sys, time
from pathlib import Path
from bot.kernel.store import Store
from bot.villages import VillageFileError, import_file, load_fields
start = time.monotonic()
try:
    import_file(Store(":memory:"), Path(sys.argv[1]), load_fields())
    outcome = "imported"
except VillageFileError as exc:
    outcome = str(exc)
# The peak of this process's own memory. Not ru_maxrss: Linux keeps that across fork and exec, so a child of a
# large pytest process would report the parent's size.
status = Path("/proc/self/status")
peak = (int(next(l.split()[1] for l in status.read_text().splitlines() if l.startswith("VmHWM:"))) // 1024
        if status.exists() else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
print(peak, round(time.monotonic() - start, 1), outcome)
"""


def measure(path: Path) -> tuple[int, float, str]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    mb, seconds, outcome = done.stdout.split(" ", 2)
    return int(mb), float(seconds), outcome.strip()


def test_9_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml", b"<worksheet>", b" " * 64, 4 * 2**20,
                 b"</worksheet>")   # 256 MiB of XML in well under 1 MB
    assert path.stat().st_size < 2**20
    mb, seconds, outcome = measure(path)
    assert "解压后" in outcome and "未导入" in outcome
    assert mb < 300 and seconds < 10


def test_9_a_shared_strings_bomb_is_refused(tmp_path):
    path = _bomb(tmp_path / "strings.xlsx", "xl/sharedStrings.xml",
                 b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', b"<si><t>a</t></si>",
                 3 * 2**20, b"</sst>")   # 3 million shared strings, 51 MiB
    mb, seconds, outcome = measure(path)
    assert "sharedStrings" in outcome and "未导入" in outcome
    assert mb < 300 and seconds < 10


def test_9_a_member_inflating_past_its_declared_size_is_refused(tmp_path):
    path = _bomb(tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", b"<worksheet>", b" " * 64, 2**20,
                 b"</worksheet>", zip64=False)   # 64 MiB of XML …
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo("xl/worksheets/sheet1.xml").header_offset
    data = bytearray(path.read_bytes())
    small = (1000).to_bytes(4, "little")          # … declared as 1000 bytes, in the local and the central header
    data[offset + 22:offset + 26] = small
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == b"xl/worksheets/sheet1.xml":
            data[at + 24:at + 28] = small
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    mb, seconds, outcome = measure(path)
    assert "无法读取的 Excel 文件" in outcome
    assert mb < 300


def test_9_rows_cells_size_and_time_limits_each_refuse_with_one_line(tmp_path):
    path = xlsx(tmp_path / "v.xlsx", [["镇", "村", "户数"]] + [["嘉积镇", f"村{i}", i] for i in range(50)])
    for limits, words in ((Limits(rows=20), "超过 20 行"), (Limits(cells=40), "超过 40 个有内容的格子"),
                          (Limits(file_bytes=1000), "超过 0 MB"), (Limits(seconds=0), "读取超过 0 秒"),
                          (Limits(columns=2), "超过 2 列")):
        with pytest.raises(SpreadsheetError, match=words) as caught:
            with open_book(path, limits) as b:
                for _, rows in b.sheets():
                    list(rows)
        assert "\n" not in str(caught.value)
    csv_path = tmp_path / "v.csv"
    csv_path.write_text("镇,村,户数\n" + "".join(f"嘉积镇,村{i},{i}\n" for i in range(50)), encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="超过 20 行"):
        with open_book(csv_path, Limits(rows=20)) as b:
            for _, rows in b.sheets():
                list(rows)


def test_9_a_large_honest_sheet_imports_within_memory(tmp_path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("嘉积镇")
    sheet.append(["镇", "村", "户数", "人口", "脱贫户户数", "小额信贷余额"])
    for i in range(20_000):
        sheet.append([f"镇{i % 40}", f"村{i}", 300 + i % 50, 1200 + i % 70, 40, 58.6])
    book.save(tmp_path / "big.xlsx")
    mb, seconds, outcome = measure(tmp_path / "big.xlsx")
    assert outcome == "imported"
    assert mb < 300


# ------------------------------------------------------------------------ the field cases, when present
CASES = ROOT.parent / "shared" / "cases" / "files"


@pytest.mark.skipif(not CASES.is_dir(), reason="the field cases are not in a fresh clone")
def test_the_six_field_cases_give_the_right_results(tmp_path):
    def fresh() -> Store:
        return Store(":memory:")

    for name in ("roster_dimension_says_A1.xlsx", "roster_merged_town_village.xlsx",
                 "roster_hidden_old_sheet_first.xlsx"):
        store = fresh()
        result = import_roster(store, CASES / name)
        assert (result.added, result.errors) == (3, []), name
        assert {n[1:] for n in names(store)} == {("嘉积镇", "椰林村")}, name
    assert "隐藏的工作表" in import_roster(fresh(), CASES / "roster_hidden_old_sheet_first.xlsx").summary()
    store = fresh()
    result = import_villages(store, CASES / "village_formula_without_value.xlsx", FIELDS)
    assert len(result.errors) == 1 and "公式没有计算结果" in str(result.errors[0]) and "第 2 行 D 列" in str(result.errors[0])
    store = fresh()
    assert import_villages(store, CASES / "village_spoken_numbers.csv", FIELDS).errors == []
    assert facts(store) == {"households": "320", "population": "1200"}
    store = fresh()
    assert import_villages(store, CASES / "village_float_artefacts.xlsx", FIELDS).errors == []
    got = facts(store)
    assert (got["households"], got["microcredit_balance"]) == ("320", "58.6")
