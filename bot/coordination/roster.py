"""The roster: the people who will be interviewed, imported from a town's spreadsheet, and their invite codes.

A roster file (.xlsx or .csv) has a header row with the columns 姓名, 角色, 镇, 村 and optionally 手机号
(a few common variants are accepted, e.g. 名字, 职务, 乡镇, 单位, 手机). 角色 is a role's label from the plan or a
word cadres use for it (村支书 → 村党组织书记). A bad row is reported with its row number (as the spreadsheet shows
it) and skipped; the good rows are kept. A row is identified by (姓名, 镇, 村): importing the same file again, or a
corrected one, updates those rows and never adds duplicates.

Every roster row gets a random invite code (72 bits, URL-safe). ``/start <code>`` binds the Telegram account that
sends it to that row, once: a used code does not work again. Someone who registers without a code is shown in the
reports as unverified (未核实).
"""

from __future__ import annotations

import csv
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from bot.kernel.roles import Role
from bot.kernel.sheets import SpreadsheetError, Unreadable, column_letter, open_book
from bot.kernel.store import Store, utcnow

MAX_FIELD_CHARS = 30
HEADER_WITHIN = 10   # the header may follow up to this many title rows

#: Header names accepted for each column (after removing blanks and NFKC normalisation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字"),
    "role": ("角色", "职务", "岗位"),
    "town": ("镇", "乡镇", "镇名", "所在镇"),
    "village": ("村", "村（单位）", "村(单位)", "单位", "所在村", "村/单位"),
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话"),
}
REQUIRED = ("name", "role", "town", "village")
HEADER_LABELS = {"name": "姓名", "role": "角色", "town": "镇", "village": "村", "phone": "手机号"}

#: Words cadres write in a roster's 角色 column, besides each role's label and id.
ROLE_ALIASES: dict[str, Role] = {
    "村支书": Role.village_secretary, "支书": Role.village_secretary, "村书记": Role.village_secretary,
    "村党组书记": Role.village_secretary, "村党支部书记": Role.village_secretary,
    "村支部书记": Role.village_secretary, "村党总支书记": Role.village_secretary,
    "第一书记": Role.first_secretary, "驻村第一书记": Role.first_secretary,
    "驻村干部": Role.work_team_member, "工作队员": Role.work_team_member,
    "乡村振兴工作队员": Role.work_team_member, "驻村工作队员": Role.work_team_member,
    "帮扶联系人": Role.household_contact, "帮扶干部": Role.household_contact, "帮扶责任人": Role.household_contact,
    "乡镇主要领导": Role.township_leader, "乡镇分管领导": Role.township_leader, "镇领导": Role.township_leader,
    "镇党委书记": Role.township_leader, "镇长": Role.township_leader, "副镇长": Role.township_leader,
    "乡村振兴大队长": Role.brigade_leader, "乡村振兴中队长": Role.brigade_leader,
    "大队长": Role.brigade_leader, "中队长": Role.brigade_leader,
    "市县主要领导": Role.city_leader, "市领导": Role.city_leader, "市县分管领导": Role.city_leader,
    "行业部门负责人": Role.department_head, "部门负责人": Role.department_head,
    "合作社负责人": Role.cooperative_head, "致富带头人": Role.cooperative_head,
    "村医": Role.village_doctor, "乡村医生": Role.village_doctor,
}


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster (unknown type, unreadable, no header, missing columns)."""


@dataclass(frozen=True)
class RosterRow:
    """One valid roster row: ``role`` is a :class:`Role` value; ``phone`` digits or None; ``line`` its row number."""

    name: str
    role: str
    town: str
    village: str
    phone: str | None
    line: int


@dataclass
class ImportResult:
    """What an import did: rows ``added`` and ``updated``, ``unchanged`` count, and ``errors`` as
    ``(row number, message)`` for every skipped row."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return a Chinese one-line summary, then one line per note (hidden sheets left out) and skipped row."""
        lines = [f"导入完成：新增 {self.added} 人，更新 {self.updated} 人，未变 {self.unchanged} 人，"
                 f"跳过 {len(self.errors)} 行。"]
        lines += [f"  注意：{note}" for note in self.notes]
        lines += [f"  第 {line} 行：{msg}" for line, msg in self.errors]
        return "\n".join(lines)


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def role_from_text(text: str) -> Role | None:
    """Return the role a roster's 角色 cell means (label, id or a common alias, blanks ignored), or None."""
    key = _norm(text)
    if not key:
        return None
    for role in Role:
        if key in (role.value, _norm(role.label)):
            return role
    if key in ROLE_ALIASES:
        return ROLE_ALIASES[key]
    # The plan's labels without their bracketed part, e.g. 驻村干部（乡村振兴工作队员） → 驻村干部.
    for role in Role:
        if key == _norm(role.label).split("(")[0]:
            return role
    return None


def _rows_from_file(path: Path, notes: list[str]) -> Iterable[tuple[int, list[str]]]:
    """The first visible sheet's rows, cells as one-line text (see :func:`bot.kernel.sheets.open_book`); what
    the reader left out (hidden sheets) is appended to ``notes``.

    Raises:
        RosterFileError: the file cannot be read as a spreadsheet, or is over a limit.
    """
    try:
        with open_book(path) as book:
            notes.extend(book.notes)
            for _, rows in book.sheets():
                for number, cells in rows:
                    yield number, [c if isinstance(c, Unreadable) else " ".join(c.split("\n")) for c in cells]
                return
    except SpreadsheetError as exc:
        raise RosterFileError(str(exc)) from exc


def read_roster(path: str | Path, notes: list[str] | None = None) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """Read and check a roster file.

    Args:
        path: a .xlsx (first visible sheet) or .csv (UTF-8 or GBK) file. The header is the first of the first
            ten non-empty rows that has the columns 姓名, 角色, 镇, 村 (title rows above it are skipped).
        notes: if given, gets what the reader left out on purpose (hidden sheets), as Chinese lines.
    Returns:
        ``(rows, errors)``: the valid rows in file order, and ``(row number, message)`` for each skipped row.
        A row repeating an earlier row's (姓名, 镇, 村) is skipped as an error.
    Raises:
        RosterFileError: the file is missing, of another type, unreadable, or has no header with the columns
            姓名, 角色, 镇, 村.
        FileNotFoundError: the path does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 文件不存在")
    columns: dict[str, int] | None = None
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, str], int] = {}
    first: tuple[int, dict[str, int]] | None = None   # the first non-empty row, for the message if no header
    tried = 0   # rows tried as the header
    for number, cells in _rows_from_file(path, notes if notes is not None else []):
        if not any(cells):
            continue
        if columns is None:
            found = _header_columns(cells)
            first = first or (number, found)
            if all(k in found for k in REQUIRED):
                columns = found
                continue
            tried += 1
            if tried < HEADER_WITHIN:   # a title row above the header
                continue
            break
        if unreadable := [f"{column_letter(i)} 列（{HEADER_LABELS[k]}）{cells[i].problem}" for k, i in columns.items()
                          if i < len(cells) and isinstance(cells[i], Unreadable)]:
            errors.append((number, "；".join(unreadable)))
            continue
        row, problem = _check_row(number, {k: (cells[i] if i < len(cells) else "") for k, i in columns.items()})
        if problem:
            errors.append((number, problem))
            continue
        key = (row.name, row.town, row.village)
        if key in seen:
            errors.append((number, f"与第 {seen[key]} 行重复（同一姓名、镇、村），已跳过"))
            continue
        seen[key] = number
        rows.append(row)
    if columns is None:
        if first is None:
            raise RosterFileError(f"{path}: 文件是空的，没有表头")
        raise RosterFileError(f"{path}: 第 {first[0]} 行应是表头（姓名、角色、镇、村，可选手机号），缺少列："
                              f"{'、'.join(HEADER_LABELS[k] for k in REQUIRED if k not in first[1])}")
    return rows, errors


def _header_columns(cells: list[str]) -> dict[str, int]:
    """Return {column key: 0-based index} for the roster columns a row names."""
    columns: dict[str, int] = {}
    for i, head in enumerate(cells):
        for key, names in COLUMNS.items():
            if _norm(head) in names and key not in columns:
                columns[key] = i
    return columns


def _check_row(number: int, cells: dict[str, str]) -> tuple[RosterRow | None, str | None]:
    problems = []
    for key in REQUIRED:
        value = cells.get(key, "")
        if not value:
            problems.append(f"{HEADER_LABELS[key]}为空")
        elif len(value) > MAX_FIELD_CHARS:
            problems.append(f"{HEADER_LABELS[key]}超过 {MAX_FIELD_CHARS} 个字")
    role = role_from_text(cells["role"]) if cells.get("role") else None
    if cells.get("role") and role is None:
        problems.append(f"角色“{cells['role']}”不认识（可写：{'、'.join(r.label for r in Role)}，或村支书等常用叫法）")
    phone = "".join(c for c in unicodedata.normalize("NFKC", cells.get("phone", "")) if c not in " -")
    if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
        problems.append(f"手机号“{cells['phone']}”不是 11 位手机号")
    if problems:
        return None, "；".join(problems)
    assert role is not None
    return RosterRow(cells["name"], role.value, cells["town"], cells["village"], phone or None, number), None


def new_invite_code() -> str:
    """Return a fresh random invite code: 12 URL-safe characters (72 random bits), valid as a /start parameter."""
    return secrets.token_urlsafe(9)


def import_rows(store: Store, rows: list[RosterRow]) -> ImportResult:
    """Add or update roster rows, keyed on (姓名, 镇, 村), committed in short batches
    (:meth:`Store.write_in_batches`); new rows get an invite code, and a changed role is also set on the bound
    account, if any.

    Args:
        store: the database.
        rows: valid rows, e.g. from :func:`read_roster`.
    Returns:
        the counts (``errors`` empty; the caller adds the file's errors).
    """
    result = ImportResult()
    now = utcnow()

    def write(row: RosterRow) -> str:
        existing = next(store.db.query("select id, role, phone, person_id from roster where name = ? and "
                                       "town = ? and village = ?", [row.name, row.town, row.village]), None)
        if existing is None:
            store.db.execute("insert into roster (name, role, town, village, phone, invite_code, imported_at, "
                             "updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
                             [row.name, row.role, row.town, row.village, row.phone, new_invite_code(), now, now])
            return "added"
        if (existing["role"], existing["phone"]) != (row.role, row.phone):
            store.db.execute("update roster set role = ?, phone = ?, updated_at = ? where id = ?",
                             [row.role, row.phone, now, existing["id"]])
            if existing["person_id"] is not None:   # the bound account practises for the corrected role
                store.db.execute("update people set role = ? where id = ?", [row.role, existing["person_id"]])
            return "updated"
        return "unchanged"

    for kind in store.write_in_batches(rows, write):
        setattr(result, kind, getattr(result, kind) + 1)
    return result


def import_file(store: Store, path: str | Path) -> ImportResult:
    """Read a roster file and import its valid rows.

    Returns:
        the counts, with ``errors`` listing every skipped row by number.
    Raises:
        RosterFileError, FileNotFoundError: as :func:`read_roster`.
    """
    notes: list[str] = []
    rows, errors = read_roster(path, notes)
    result = import_rows(store, rows)
    result.errors, result.notes = errors, notes
    return result


@dataclass(frozen=True)
class RosterEntry:
    """A roster row as stored: ``person_id`` is the bound account's person, None until the invite is used."""

    id: int
    name: str
    role: str
    town: str
    village: str
    phone: str | None
    invite_code: str
    invite_used_at: str | None
    person_id: int | None


def entry_from_row(row: dict[str, Any]) -> RosterEntry:
    return RosterEntry(row["id"], row["name"], row["role"], row["town"], row["village"], row["phone"],
                       row["invite_code"], row["invite_used_at"], row["person_id"])


def entries(store: Store, town: str | None = None, unused_only: bool = False) -> list[RosterEntry]:
    """Return roster rows ordered by town, village, name; only ``town``'s when given; only not yet bound ones
    when ``unused_only``."""
    sql = "select * from roster where 1 = 1"
    params: list[Any] = []
    if town is not None:
        sql += " and town = ?"
        params.append(town)
    if unused_only:
        sql += " and invite_used_at is null"
    sql += " order by town, village, name"
    return [entry_from_row(r) for r in store.db.query(sql, params)]


TEMPLATE_ROWS = [["姓名", "角色", "镇", "村", "手机号"]]
TEMPLATE_NOTES = [
    "每行一人，第一行是表头，不要改动。姓名、角色、镇、村必填，手机号可空（11位）。",
    "同一姓名、镇、村再次导入时更新这一行，不会重复。出错的行会按行号列出并跳过，其余照常导入。",
    "镇、市直部门的同志：“村”一栏填单位名称。角色可写下列名称之一，也可写村支书、第一书记、工作队员等常用叫法：",
]


def write_template(path: str | Path) -> Path:
    """Write an empty roster template as .xlsx (header, a role drop-down, and a 说明 sheet) or .csv (header only),
    by the path's suffix.

    Raises:
        RosterFileError: for another suffix.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(TEMPLATE_ROWS)
    elif path.suffix.lower() == ".xlsx":
        import openpyxl
        from openpyxl.worksheet.datavalidation import DataValidation

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "名册"
        for row in TEMPLATE_ROWS:
            sheet.append(row)
        for cell in sheet["E"]:
            cell.number_format = "@"   # phone numbers as text, not 1.38E+10
        roles = DataValidation(type="list", formula1='"' + ",".join(r.label for r in Role) + '"', allow_blank=True)
        roles.add("B2:B1000")
        sheet.add_data_validation(roles)
        for col, width in zip("ABCDE", (12, 28, 12, 16, 16)):
            sheet.column_dimensions[col].width = width
        notes = book.create_sheet("说明")
        for line in TEMPLATE_NOTES + [r.label for r in Role]:
            notes.append([line])
        notes.column_dimensions["A"].width = 100
        book.save(path)
    else:
        raise RosterFileError(f"{path}: 模板只能写成 .xlsx 或 .csv")
    return path
