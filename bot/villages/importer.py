"""Importing village sheets (.xlsx/.csv): every bad cell reported by sheet, row and column; the rest stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from bot.kernel.sheets import SpreadsheetError, Unreadable, column_letter, open_book
from bot.kernel.store import Store, utcnow

from .cells import MAX_NAME_CHARS, parse_cell, place_key, village_id
from .fields import (
    NOTES_SHEET,
    TOWN_HEADERS,
    VILLAGE_HEADERS,
    VillageField,
    VillageFields,
    compact,
)


# ---------------------------------------------------------------------------------------------------- import
class VillageFileError(Exception):
    """The file as a whole cannot be read as village sheets (type, encoding, no sheet with 镇 and 村 columns)."""


@dataclass(frozen=True)
class CellError:
    """One bad cell (or header), skipped: ``sheet`` (a .csv file's name for a .csv), 1-based ``row`` as the
    spreadsheet shows it, ``column`` letter (``""`` for a whole sheet), the column's ``header`` and ``message``."""

    sheet: str
    row: int
    column: str
    header: str
    message: str

    def __str__(self) -> str:
        where = f"工作表“{self.sheet}”第 {self.row} 行"
        if self.column:
            where += f" {self.column} 列" + (f"（{self.header}）" if self.header else "")
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class VillageRow:
    """One village's valid cells from a file: values in stored form by field key; where the row was."""

    town: str
    village: str
    values: dict[str, str]
    sheet: str
    row: int


@dataclass
class VillageImportResult:
    """What an import did: villages ``added``/``updated``/``unchanged``; values ``values_added``/``values_updated``/
    ``values_unchanged``; ``blank`` cells (nothing imported, earlier values kept); ``errors`` (every skipped cell)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    values_added: int = 0
    values_updated: int = 0
    values_unchanged: int = 0
    blank: int = 0
    errors: list[CellError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return a Chinese summary line, then one line per note (e.g. hidden sheets left out) and per skipped
        cell."""
        lines = [f"导入完成：{self.added + self.updated + self.unchanged} 个村（新增 {self.added}，更新 {self.updated}，"
                 f"未变 {self.unchanged}）；数据新增 {self.values_added} 项，更新 {self.values_updated} 项，"
                 f"未变 {self.values_unchanged} 项；空白 {self.blank} 格（保留原有数据）；跳过 {len(self.errors)} 处错误。"]
        lines += [f"  注意：{note}" for note in self.notes]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def _sheets(path: Path, notes: list[str]) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    """Every visible sheet of the file (see :func:`bot.kernel.sheets.open_book`); what the reader left out on
    purpose (hidden sheets) is appended to ``notes``. Raises :class:`VillageFileError`."""
    try:
        with open_book(path) as book:
            notes.extend(book.notes)
            for name, rows in book.sheets():
                yield name, _rows(rows)
    except SpreadsheetError as exc:
        raise VillageFileError(str(exc)) from exc


def _rows(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """A sheet's rows, a reader's refusal while reading them raised as :class:`VillageFileError`."""
    try:
        yield from rows
    except SpreadsheetError as exc:
        raise VillageFileError(str(exc)) from exc


_letter = column_letter
HEADER_WITHIN = 10   # the header may follow up to this many title rows


def read_village_file(path: str | Path, fields: VillageFields,
                      notes: list[str] | None = None) -> tuple[list[VillageRow], list[CellError], int]:
    """Read and check village sheets.

    Args:
        path: a .xlsx (every visible sheet whose header has 镇 and 村; a sheet named 说明 is skipped) or .csv
            (UTF-8 or GBK). The header is the first of the first ten non-empty rows holding 镇 and 村 (title
            rows above it are skipped): 镇, 村, then field columns by label (see :meth:`VillageFields.column`);
            rows below it: one village each.
        fields: the field list.
        notes: if given, gets what the reader left out on purpose (hidden sheets), as Chinese lines.
    Returns:
        ``(rows, errors, blank)``: the villages with their valid cells, every bad cell (unknown or repeated
        header, empty or over-long 镇/村, a village repeated, a value that does not fit its field, a figure over
        its ``at_most``, a formula without a computed value), and the number of blank field cells.
    Raises:
        FileNotFoundError: no such file.
        VillageFileError: another file type, unreadable, or no sheet with 镇 and 村 columns.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 文件不存在")
    rows: list[VillageRow] = []
    errors: list[CellError] = []
    blank = 0
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    read_any = False
    for sheet, lines in _sheets(path, notes if notes is not None else []):
        header: dict[int, VillageField] | None = None
        town_col = village_col = -1
        first = 0   # the first non-empty row, named if no header is found
        tried = 0
        for number, cells in lines:
            if not any(cells) and not any(isinstance(c, Unreadable) for c in cells):
                continue
            if header is None:
                heads = [compact(h) for h in cells]
                town_col = next((i for i, h in enumerate(heads) if h in {compact(t) for t in TOWN_HEADERS}), -1)
                village_col = next((i for i, h in enumerate(heads) if h in {compact(v) for v in VILLAGE_HEADERS}), -1)
                first = first or number
                if town_col < 0 or village_col < 0:
                    tried += 1
                    if tried < HEADER_WITHIN:   # a title row above the header
                        continue
                    break
                header = {}
                for i, head in enumerate(cells):
                    if not head or i in (town_col, village_col):
                        continue
                    if (f := fields.column(head)) is None:
                        errors.append(CellError(sheet, number, _letter(i), head, "不是村情字段（字段见 "
                                                f"{fields.path}），这一列未导入"))
                    elif f in header.values():
                        earlier = next(_letter(j) for j, g in header.items() if g is f)
                        errors.append(CellError(sheet, number, _letter(i), head, f"与 {earlier} 列是同一字段，这一列未导入"))
                    else:
                        header[i] = f
                read_any = True
                continue
            cell = (lambda i: cells[i] if i < len(cells) else "")
            town, village = " ".join(cell(town_col).split()), " ".join(cell(village_col).split())
            problems = [(col, name, what) for col, name, what in ((town_col, "镇", town), (village_col, "村", village))
                        if not what or len(what) > MAX_NAME_CHARS]
            if problems:
                for col, name, what in problems:
                    message = f"{name}为空" if not what else f"{name}名超过 {MAX_NAME_CHARS} 个字"
                    if isinstance(cell(col), Unreadable):
                        message = cell(col).problem
                    errors.append(CellError(sheet, number, _letter(col), name, f"{message}，这一行未导入"))
                continue
            key = (place_key(town, "town"), place_key(village, "village"))
            if key in seen:
                where = seen[key]
                errors.append(CellError(sheet, number, _letter(village_col), "村",
                                        f"与工作表“{where[0]}”第 {where[1]} 行是同一个村，这一行未导入"))
                continue
            seen[key] = (sheet, number)
            values: dict[str, str] = {}
            for i, f in header.items():
                raw = cell(i)
                if isinstance(raw, Unreadable):
                    errors.append(CellError(sheet, number, _letter(i), f.header, raw.problem))
                    continue
                if not raw.strip():
                    blank += 1
                    continue
                try:
                    values[f.key] = parse_cell(f, raw)
                except ValueError as exc:
                    errors.append(CellError(sheet, number, _letter(i), f.header, str(exc)))
            for i, f in header.items():
                limit = fields.by_key[f.at_most] if f.at_most else None
                if limit is not None and f.key in values and limit.key in values and \
                        Decimal(values[f.key]) > Decimal(values[limit.key]):
                    errors.append(CellError(sheet, number, _letter(i), f.header,
                                            f"{values[f.key]}{f.unit}大于{limit.label}（{values[limit.key]}{limit.unit}），"
                                            "请核对"))
                    del values[f.key]
            rows.append(VillageRow(town, village, values, sheet, number))
        if header is None and first and sheet != NOTES_SHEET:
            errors.append(CellError(sheet, first, "", "", "前几行都不是表头（镇、村、各字段），缺少“镇”或“村”列，"
                                                          "这张工作表未导入"))
    if not read_any:
        raise VillageFileError(f"{path}: 没有带“镇”“村”表头的工作表（用 python -m bot villages template 生成模板）")
    return rows, errors, blank


def import_rows(store: Store, rows: list[VillageRow], now: str | None = None) -> VillageImportResult:
    """Add or update the villages' values, one row per (town, village, field), committed in batches of about a
    quarter of a second each (:meth:`Store.write_in_batches`), so the bot keeps answering during a long import.

    A value already stored and unchanged only gets the new import time; the town's and village's names are set to
    how this import writes them. Fields a row leaves blank keep their earlier values.

    Returns:
        the counts (``errors`` empty; the caller adds the file's).
    """
    result = VillageImportResult()
    now = now or utcnow()

    def write(row: VillageRow) -> tuple[str, int, int, int]:
        tkey, vkey = place_key(row.town, "town"), place_key(row.village, "village")
        old = {r["field"]: r["value"] for r in store.db.query(
            "select field, value from village_facts where town_key = ? and village_key = ?", [tkey, vkey])}
        store.db.execute("update village_facts set town = ?, village = ? where town_key = ? and village_key = ?",
                         [row.town, row.village, tkey, vkey])
        added = updated = unchanged = 0
        for key, value in row.values.items():
            if key not in old:
                added += 1
            elif old[key] != value:
                updated += 1
            else:
                unchanged += 1
            store.db.execute(
                "insert into village_facts (town_key, village_key, field, village_id, town, village, value, "
                "imported_at, changed_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict (town_key, village_key, field) do update set value = excluded.value, "
                "imported_at = excluded.imported_at, "
                "changed_at = case when value = excluded.value then changed_at else excluded.changed_at end",
                [tkey, vkey, key, village_id(row.town, row.village), row.town, row.village, value, now, now])
        kind = "added" if not old else ("updated" if added or updated else "unchanged")
        return kind, added, updated, unchanged

    for kind, added, updated, unchanged in store.write_in_batches(rows, write):
        setattr(result, kind, getattr(result, kind) + 1)
        result.values_added += added
        result.values_updated += updated
        result.values_unchanged += unchanged
    return result


def import_file(store: Store, path: str | Path, fields: VillageFields) -> VillageImportResult:
    """Read a village file (:func:`read_village_file`) and import its valid cells (:func:`import_rows`).

    Returns:
        the counts, with ``errors`` listing every skipped cell by sheet, row and column.
    Raises:
        FileNotFoundError, VillageFileError: as :func:`read_village_file`.
    """
    notes: list[str] = []
    rows, errors, blank = read_village_file(path, fields, notes)
    result = import_rows(store, rows)
    result.errors, result.blank, result.notes = errors, blank, notes
    return result

