"""Reading the spreadsheets coordinators keep (rosters, village sheets): .xlsx through openpyxl, .csv in UTF-8 or
GBK (as Excel and WPS in China often save it). Shared by :mod:`bot.coordination.roster` and :mod:`bot.villages`."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

Rows = Iterator[tuple[int, list[str]]]


class SpreadsheetError(Exception):
    """The file cannot be read as a spreadsheet: wrong type, encoding or a broken .xlsx. The message is Chinese."""


def cell_text(value: Any) -> str:
    """A cell as text: Excel's 320.0 → ``320``, 58.6 → ``58.6``, a date → ``2021-10-28``; control characters
    other than line breaks dropped; surrounding blanks stripped."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = int(value) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        value = value.date().isoformat()
    return "".join(c for c in str(value) if c == "\n" or unicodedata.category(c) != "Cc").strip()


def read_sheets(path: Path) -> Iterator[tuple[str, Rows]]:
    """Yield (sheet name, rows) for every sheet of an .xlsx, or once for a .csv (named after the file); rows are
    (1-based row number, cells as text).

    Raises:
        SpreadsheetError: not .xlsx/.xlsm/.csv, a CSV neither UTF-8 nor GBK, or an .xlsx openpyxl cannot open.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SpreadsheetError(f"{path}: 不是 UTF-8 或 GBK 编码的文本")
        rows = csv.reader(io.StringIO(text, newline=""))
        yield path.name, ((n, [cell_text(v) for v in row]) for n, row in enumerate(rows, start=1))
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds (zip, XML, KeyError) for a broken file
            raise SpreadsheetError(f"{path}: 无法读取的 Excel 文件（{type(exc).__name__}）") from exc
        try:
            for sheet in book.worksheets:
                yield sheet.title, ((n, [cell_text(v) for v in row])
                                    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1))
        finally:
            book.close()
    else:
        raise SpreadsheetError(f"{path}: 只支持 .xlsx 和 .csv 文件（另存为其中一种再导入）")
