"""Reading the spreadsheets coordinators keep (rosters, village sheets) as a person sees them in Excel or WPS:
.xlsx through openpyxl, .csv in UTF-8 or GBK (as Excel and WPS in China often save it). Shared by
:mod:`bot.coordination.roster` and :mod:`bot.villages`.

What a person sees, and not what the file claims:

* the sheet's real extent, from the cells that hold something — not the ``<dimension>`` element, which some WPS
  and generated files set to ``A1`` (only the header would be read) or to ``A1:XFD1048576`` (17 billion empty
  cells to walk);
* a value merged over several cells in every one of them (镇 written once for three rows);
* hidden sheets skipped, and named in :attr:`Book.notes`;
* floats as Excel shows them (15 significant digits: 320.00000000000006 → ``320``, 58.599999999999994 → ``58.6``);
* a formula whose result was never computed (saved by a tool that does not calculate) is not a blank: its cell
  is a :class:`Unreadable` with a message saying to open and save the file in Excel or WPS.

Every file a user hands over is checked against :class:`Limits` (size, uncompressed size of each part of an
.xlsx, rows, columns, cells, seconds) before and while it is read; each limit refuses the file with one Chinese
line (:class:`SpreadsheetError`), so a zip bomb or a shared-strings bomb is refused before openpyxl inflates it
and memory stays far below 300 MB for any file.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from xml.etree.ElementTree import ParseError, iterparse

Rows = Iterator[tuple[int, list[str]]]

FORMULA_WITHOUT_VALUE = "公式没有计算结果：请在 Excel 或 WPS 中打开并保存后再导入"


@dataclass(frozen=True)
class Limits:
    """What one file may hold. Sizes in bytes, ``seconds`` of wall time for reading the whole file.

    ``rows``: the last row holding something, per sheet; ``columns``: the last column holding something;
    ``cells``: cells holding something, whole file; ``area``: rows × columns of one sheet's extent;
    ``merges``: merged ranges in one sheet; ``field_chars``: one cell's characters (Excel's own limit is
    32 767); ``part_bytes``: one uncompressed part of an .xlsx other than a worksheet (shared strings, styles …);
    ``sheet_bytes``: one uncompressed worksheet; ``unpacked_bytes``: all parts together.
    """

    file_bytes: int = 20 * 2**20
    unpacked_bytes: int = 200 * 2**20
    sheet_bytes: int = 150 * 2**20
    part_bytes: int = 16 * 2**20
    rows: int = 100_000
    columns: int = 512
    cells: int = 2_000_000
    area: int = 10_000_000
    merges: int = 50_000
    field_chars: int = 32_767
    seconds: float = 120.0


LIMITS = Limits()


class SpreadsheetError(Exception):
    """The file cannot be read as a spreadsheet: wrong type, encoding, a broken .xlsx, or over one of the
    :class:`Limits`. The message is one Chinese line naming the file."""


class Unreadable(str):
    """A cell whose value cannot be known from the file (a formula without a stored result). It reads as an
    empty string; ``problem`` says why and what to do, in Chinese."""

    problem: str

    def __new__(cls, problem: str) -> "Unreadable":
        cell = super().__new__(cls, "")
        cell.problem = problem
        return cell


def _float_text(value: float) -> str:
    """A float as Excel shows it: 15 significant digits, no exponent, no trailing zeros."""
    text = format(value, ".15g")
    if "e" in text or "E" in text:
        return format(Decimal(text).normalize(), "f")
    return text


def cell_text(value: Any) -> str:
    """A cell as text: Excel's 320.0 → ``320``, 320.00000000000006 → ``320``, 58.599999999999994 → ``58.6``
    (15 significant digits, as Excel shows it), a date → ``2021-10-28``; control characters other than line
    breaks dropped; surrounding blanks stripped. An :class:`Unreadable` stays as it is."""
    if isinstance(value, Unreadable):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        value = _float_text(value)
    elif isinstance(value, datetime):
        value = value.date().isoformat()
    elif isinstance(value, date):
        value = value.isoformat()
    return "".join(c for c in str(value) if c == "\n" or unicodedata.category(c) != "Cc").strip()


def column_letter(index: int) -> str:
    """Return the spreadsheet column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Book:
    """An opened spreadsheet: :meth:`sheets` yields the visible sheets; ``notes`` (Chinese lines) name what was
    left out on purpose, e.g. hidden sheets. Use as a context manager, or call :meth:`close`."""

    path: Path
    limits: Limits = LIMITS
    notes: list[str] = field(default_factory=list)
    _book: Any = None
    _zip: zipfile.ZipFile | None = None
    _deadline: float = 0.0
    _cells: int = 0

    def __enter__(self) -> "Book":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def _refuse(self, message: str) -> SpreadsheetError:
        return SpreadsheetError(f"{self.path.name}：{message}")

    def _tick(self) -> None:
        if time.monotonic() > self._deadline:
            raise self._refuse(f"读取超过 {self.limits.seconds:g} 秒，文件太大或已损坏，请分成几个文件再导入")

    def _count_cell(self) -> None:
        self._cells += 1
        if self._cells > self.limits.cells:
            raise self._refuse(f"超过 {self.limits.cells:,} 个有内容的格子，请分成几个文件再导入")

    def sheets(self) -> Iterator[tuple[str, Rows]]:
        """Yield (sheet name, rows) for every visible sheet of an .xlsx, or once for a .csv (named after the file);
        rows are (1-based row number, cells as text — a :class:`Unreadable` where the value cannot be known).

        Raises:
            SpreadsheetError: over a limit, or broken (also while rows are read).
        """
        if self.path.suffix.lower() == ".csv":
            yield self.path.name, self._csv_rows()
            return
        for sheet in self._book.worksheets:
            if sheet.sheet_state != "visible":
                continue
            yield sheet.title, self._xlsx_rows(sheet)

    # ------------------------------------------------------------------------------------------------ .csv
    def _csv_rows(self) -> Rows:
        raw = self.path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise self._refuse("不是 UTF-8 或 GBK 编码的文本")
        del raw
        self._tick()
        reader = csv.reader(io.StringIO(text, newline=""))
        previous = csv.field_size_limit(self.limits.field_chars)
        try:
            number = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise self._refuse(f"第 {reader.line_num} 行附近有一格超过 {self.limits.field_chars:,} 个字符或"
                                       f"格式有误（多半是引号不成对），请检查后再导入") from exc
                number += 1
                if number > self.limits.rows:
                    raise self._refuse(f"超过 {self.limits.rows:,} 行，请分成几个文件再导入")
                if len(row) > self.limits.columns:
                    raise self._refuse(f"第 {number} 行超过 {self.limits.columns} 列")
                for value in row:
                    if value:
                        self._count_cell()
                if number % 1000 == 0:
                    self._tick()
                yield number, [cell_text(v) for v in row]
        finally:
            csv.field_size_limit(previous)

    # ----------------------------------------------------------------------------------------------- .xlsx
    def _open_xlsx(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
            members = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise self._refuse("无法读取的 Excel 文件（不是有效的 .xlsx）") from exc
        total = 0
        for info in members:
            total += info.file_size
            sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            limit = self.limits.sheet_bytes if sheet else self.limits.part_bytes
            if info.file_size > limit:
                raise self._refuse(f"解压后的内容（{info.filename} {info.file_size // 2**20} MB）超过 "
                                   f"{limit // 2**20} MB，不像正常的表格，未导入")
        if total > self.limits.unpacked_bytes:
            raise self._refuse(f"解压后超过 {self.limits.unpacked_bytes // 2**20} MB，不像正常的表格，未导入")
        import openpyxl

        try:
            # The members were checked above; openpyxl reads them through zipfile, which never inflates a member
            # past the size it declares (it stops with a CRC error instead).
            self._book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds (zip, XML, KeyError) for a broken file
            raise self._refuse(f"无法读取的 Excel 文件（{type(exc).__name__}）") from exc
        hidden = [s.title for s in self._book.worksheets if s.sheet_state != "visible"]
        if hidden:
            self.notes.append(f"隐藏的工作表未导入：{'、'.join(f'“{h}”' for h in hidden)}")

    def _survey(self, member: str) -> "_Survey":
        """One streaming pass over a worksheet's XML: the real extent, merged ranges, formulas without a result."""
        survey = _Survey()
        assert self._zip is not None
        self._tick()
        row = col = 0
        seen = 0
        try:
            with self._zip.open(member) as src:
                for _, elem in iterparse(src, events=("end",)):
                    tag = elem.tag.rpartition("}")[2]
                    if tag == "c":
                        ref = elem.get("r")
                        if ref and (m := _RE_REF.fullmatch(ref)):
                            col, row = _column_number(m.group(1)), int(m.group(2))
                        else:
                            col += 1
                        v = f = inline = None
                        for child in elem:
                            name = child.tag.rpartition("}")[2]
                            if name == "v":
                                v = child
                            elif name == "f":
                                f = child
                            elif name == "is":
                                inline = child
                        has_value = (v is not None and v.text) or inline is not None
                        if f is not None and not has_value and not (v is not None and elem.get("t") == "str"):
                            survey.no_result.setdefault(row, []).append(col)
                        if has_value or f is not None:
                            self._count_cell()
                            survey.rows = max(survey.rows, row)
                            survey.columns = max(survey.columns, col)
                        elem.clear()
                    elif tag == "row":
                        r = elem.get("r")
                        row = int(r) if r and r.isdigit() else row + 1
                        col = 0
                        elem.clear()
                    elif tag == "mergeCell" and (ref := elem.get("ref")):
                        if len(survey.merges) >= self.limits.merges:
                            raise self._refuse(f"合并单元格超过 {self.limits.merges:,} 处，不像正常的表格，未导入")
                        if (m := _RE_RANGE.fullmatch(ref)):
                            c1, r1, c2, r2 = (_column_number(m.group(1)), int(m.group(2)),
                                              _column_number(m.group(3)), int(m.group(4)))
                            survey.merges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
                        elem.clear()
                    elif tag == "sheetData" or tag == "mergeCells":
                        elem.clear()
                    seen += 1
                    if seen % 20_000 == 0:
                        self._tick()
                    if tag == "c" and (survey.rows > self.limits.rows or survey.columns > self.limits.columns):
                        break
        except (ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self._refuse(f"无法读取的 Excel 文件（{type(exc).__name__}）") from exc
        if survey.rows > self.limits.rows:
            raise self._refuse(f"一张工作表超过 {self.limits.rows:,} 行，请分成几个文件再导入")
        if survey.columns > self.limits.columns:
            raise self._refuse(f"一张工作表超过 {self.limits.columns} 列，请删掉多余的列再导入")
        if survey.rows * survey.columns > self.limits.area:
            raise self._refuse(f"一张工作表从 A1 到最后一格（{column_letter(survey.columns - 1)}{survey.rows}）"
                               f"超过 {self.limits.area:,} 格，请删掉远处多余的内容或分成几个文件再导入")
        return survey

    def _xlsx_rows(self, sheet: Any) -> Rows:
        # The path of the sheet's XML inside the zip is openpyxl's (read-only worksheets keep it).
        survey = self._survey(sheet._worksheet_path)
        if survey.rows == 0:
            return
        sheet.reset_dimensions()   # the file's <dimension> may lie: read exactly the extent surveyed
        starts: dict[int, list[tuple[int, int, int, int]]] = {}
        for merge in survey.merges:
            if merge[0] <= survey.rows and merge[1] <= survey.columns:
                starts.setdefault(merge[0], []).append(merge)
        active: list[tuple[tuple[int, int, int, int], str]] = []
        number = 0
        try:
            rows = sheet.iter_rows(min_row=1, max_row=survey.rows, min_col=1, max_col=survey.columns,
                                   values_only=True)
            for number, values in enumerate(rows, start=1):
                if number % 1000 == 0:
                    self._tick()
                cells = [cell_text(v) for v in values]
                cells += [""] * (survey.columns - len(cells))
                for c in survey.no_result.get(number, ()):
                    if c <= survey.columns:
                        cells[c - 1] = Unreadable(FORMULA_WITHOUT_VALUE)
                for merge in starts.get(number, ()):
                    active.append((merge, cells[merge[1] - 1]))
                if active:
                    active = [(m, v) for m, v in active if m[2] >= number]
                    for (r1, c1, r2, c2), value in active:
                        for c in range(c1, min(c2, survey.columns) + 1):
                            if not (r1 == number and c == c1):
                                cells[c - 1] = value
                yield number, cells
        except SpreadsheetError:
            raise
        except Exception as exc:  # a broken part found only while reading
            raise self._refuse(f"第 {number + 1} 行无法读取（{type(exc).__name__}）") from exc


@dataclass
class _Survey:
    rows: int = 0
    columns: int = 0
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)   # (row1, col1, row2, col2), 1-based
    no_result: dict[int, list[int]] = field(default_factory=dict)           # row → columns of formulas without value


_RE_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")
_RE_RANGE = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7}):\$?([A-Z]{1,3})\$?(\d{1,7})")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def open_book(path: Path, limits: Limits = LIMITS) -> Book:
    """Open a spreadsheet for reading, after checking its size (and, for an .xlsx, every part's uncompressed
    size, before anything is inflated).

    Args:
        path: an .xlsx/.xlsm or .csv file.
        limits: what the file may hold (default :data:`LIMITS`).
    Returns:
        the :class:`Book` (close it, or use ``with``).
    Raises:
        SpreadsheetError: another type, over a limit, or an .xlsx openpyxl cannot open.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    book = Book(path, limits)
    book._deadline = time.monotonic() + limits.seconds
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise book._refuse("只支持 .xlsx 和 .csv 文件（另存为其中一种再导入）")
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise book._refuse(f"文件有 {size / 2**20:.1f} MB，超过 {limits.file_bytes // 2**20} MB，"
                           "请分成几个文件再导入")
    if suffix != ".csv":
        try:
            book._open_xlsx()
        except BaseException:
            book.close()
            raise
    return book


def read_sheets(path: Path, limits: Limits = LIMITS) -> Iterator[tuple[str, Rows]]:
    """Yield (sheet name, rows) for every visible sheet; see :meth:`Book.sheets` (hidden sheets' notes are lost
    here: use :func:`open_book` to show them).

    Raises:
        SpreadsheetError: as :func:`open_book` and :meth:`Book.sheets`.
    """
    with open_book(path, limits) as book:
        yield from book.sheets()
