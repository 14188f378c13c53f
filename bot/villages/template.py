"""The empty village sheet template (.xlsx) with a 说明 sheet, written from the field list."""

from __future__ import annotations

import csv
from pathlib import Path

from .fields import FieldType, VillageFields
from .importer import NOTES_SHEET, VillageFileError, _letter

_TYPE_HELP = {FieldType.count: "整数", FieldType.amount: "数字，可带小数", FieldType.text: "文字",
              FieldType.list: "多项用“、”或“；”分隔"}


def template_header(fields: VillageFields) -> list[str]:
    """Return the template's header row: 镇, 村, then each field's :attr:`VillageField.header`."""
    return ["镇", "村", *(f.header for f in fields.fields)]


def write_template(path: str | Path, fields: VillageFields) -> Path:
    """Write an empty village template by the path's suffix: .xlsx (header, number checks on number columns, a 说明
    sheet with each column's unit, format and who must know it) or .csv (the header only, UTF-8 with BOM).

    Raises:
        VillageFileError: another suffix.
    """
    path = Path(path)
    header = template_header(fields)
    if path.suffix.lower() == ".csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(header)
        return path
    if path.suffix.lower() != ".xlsx":
        raise VillageFileError(f"{path}: 模板只能写成 .xlsx 或 .csv")
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "村情表"
    sheet.append(header)
    sheet.freeze_panes = "C2"
    for i, f in enumerate(fields.fields, start=2):
        letter = _letter(i)
        sheet.column_dimensions[letter].width = max(10, min(30, 2 * len(f.header) + 2))
        if f.numeric:
            check = DataValidation(type="whole" if f.type is FieldType.count else "decimal",
                                   operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                   error=f"{f.label}：填{_TYPE_HELP[f.type]}（{f.unit}）", showErrorMessage=True)
            check.add(f"{letter}2:{letter}1000")
            sheet.add_data_validation(check)
    notes = book.create_sheet(NOTES_SHEET)
    notes.append(["每行一个村；第一行是表头，不要改动。镇、村必填，其余可空（空格不导入，保留以前导入的数据）。"])
    notes.append(["镇、村名要和人员登记的一致（“椰林”“椰林村”都可以）。再次导入同一个村时更新这个村的数据；"
                  "出错的格子会按工作表、行、列列出并跳过，其余照常导入。"])
    notes.append([])
    notes.append(["列", "字段", "单位", "填写", "必须熟悉的角色"])
    for i, f in enumerate(fields.fields, start=2):
        notes.append([_letter(i), f.header, f.unit or "", f.help or _TYPE_HELP[f.type],
                      "、".join(r.label for r in f.roles)])
    notes.column_dimensions["A"].width = 6
    for letter, width in zip("BCDE", (28, 8, 40, 50)):
        notes.column_dimensions[letter].width = width
    book.save(path)
    return path

