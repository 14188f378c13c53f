"""Village fact cards (村情卡): each village's own figures, imported from the town coordinator's spreadsheet, shown
on ``/village`` and drilled in ``/practice`` and ``/interview`` by the people of that village who must know them.

One module per step of a sheet's life:

* :mod:`.fields` — the field list is data (``knowledge/villages/fields.yaml``, strict): key, label (the column
  header), type (count, amount, text, list), unit (户, 人, 个, 元, 万元), tolerance, the roles that must know it,
  question templates.
* :mod:`.cells` — one cell read by its field (figures through :mod:`bot.kernel.figures`); place names matched.
* :mod:`.importer` — a sheet (.xlsx: every sheet with 镇 and 村 columns; .csv, UTF-8 or GBK) read through
  :mod:`bot.kernel.sheets`, every bad cell reported by sheet, row and column and skipped, the rest stored in
  ``village_facts``, one row per (town, village, field); an empty cell leaves what was imported before.
* :mod:`.template` — the empty template (.xlsx with a 说明 sheet, or a .csv header).
* :mod:`.sheet` — one village's facts and who may read them. Privacy: a village's figures reach only the people
  of that village and coordinators whose scope holds its town; every query a person triggers is filtered by their
  own town and village (:func:`sheet_of`).
* :mod:`.questions` and :mod:`.source` — practice and interview questions made from a sheet, judged by value;
  question ids ``v.<village id>.<field or interview key>.<kind>`` (kind ``f`` fill-in, ``c`` choice, ``m`` multiple
  choice, ``i`` interview; the village id is 10 hex digits of a hash of the matched names, so ids are stable).
* :mod:`.command` — ``/village``, and :func:`install`, which registers the feature with the dialog.
"""

from .cells import figure_matches, parse_cell, place_key, split_items, village_id
from .command import NO_REGISTRATION, OTHER_VILLAGE, VillageCommand, install
from .fields import (
           DEFAULT_FIELDS,
           FieldType,
           VillageField,
           VillageFields,
           VillageFieldsFile,
           load_fields,
)
from .importer import (
           CellError,
           VillageFileError,
           VillageImportResult,
           import_file,
           import_rows,
           read_village_file,
)
from .questions import ENTRY, field_questions, interview_questions
from .sheet import VillageSheet, needs_invite, own_village, sheet_of, sheets_in_scope
from .source import VillageFacts, village_must_know
from .template import template_header, write_template

__all__ = ["CellError", "NO_REGISTRATION", "OTHER_VILLAGE", "DEFAULT_FIELDS", "ENTRY", "FieldType", "VillageCommand", "VillageFacts", "VillageField",
           "VillageFields", "VillageFieldsFile", "VillageFileError", "VillageImportResult", "VillageSheet",
           "field_questions", "figure_matches", "import_file", "import_rows", "install", "interview_questions",
           "load_fields", "needs_invite", "own_village", "parse_cell", "place_key", "read_village_file",
           "sheet_of", "sheets_in_scope", "split_items", "template_header", "village_id", "village_must_know",
           "write_template"]
