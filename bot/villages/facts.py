"""Village fact cards (村情卡): each village's own figures, imported from the town coordinator's spreadsheet, shown
on ``/village`` and drilled in ``/practice`` and ``/interview`` by the people of that village who must know them.

* The field list is data: ``knowledge/villages/fields.yaml`` (:class:`VillageFieldsFile`, strict). Each field has
  an ASCII ``key``, a Chinese ``label`` (the spreadsheet's column header), a ``type`` (count, amount, text, list),
  a ``unit`` (户, 人, 个, 元, 万元) for numbers, an optional ``tolerance``, the ``roles`` that must know it and
  question templates.
* A village sheet (.xlsx: every sheet with the columns 镇 and 村; or .csv, UTF-8 or GBK) has one row per village and
  one column per field. Every bad cell is reported with its sheet, row and column and skipped; the rest is imported.
  Rows are stored in ``village_facts``, one per (town, village, field); importing again updates them. An empty cell
  leaves what was imported before.
* Privacy: the figures of a village reach only people registered in that village (town and village both match)
  and coordinators whose scope holds its town. Every query a person triggers is filtered by their own town and
  village (:func:`sheet_of`); a question id names its village by a hash, and ids reach a person's session only from
  :meth:`VillageFacts.questions_for` / :meth:`VillageFacts.interview_for` for that person. Wrong options of choice
  questions are close numbers or the field's generic ``pool``, never another village's data.

Question ids: ``v.<village id>.<field or interview key>.<kind>`` (kind ``f`` fill-in, ``c`` choice, ``m`` multiple
choice, ``i`` interview); the village id is 10 hex digits of a hash of the matched town and village names, so ids
are stable across imports and restarts and at most 47 characters.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_CEILING, Decimal
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterable, Iterator

from pydantic import Field, StrictFloat, StrictInt, StringConstraints, model_validator
from pydantic import Strict as StrictType

from bot.practice.grading import InterviewGrade, point_covered, too_long
from bot.qa.knowledge import PROJECT_ROOT
from bot.kernel.messages import Reply
from bot.kernel.models import InterviewQuestion, KeyPoint, NonEmpty, QuestionType, QuizQuestion, Strict
from bot.kernel.roles import Role
from bot.kernel.sheets import SpreadsheetError, read_sheets
from bot.kernel.store import Person, Store, utcnow
from bot.kernel.text import cn_to_number, is_cjk, normalise
from bot.kernel.yamlfile import DataError, DataFileError, load_model_with_lines

if TYPE_CHECKING:
    from bot.dialog import Dialog
    from bot.coordination.reports import Scope

DEFAULT_FIELDS = PROJECT_ROOT / "knowledge" / "villages" / "fields.yaml"
#: The ``entry`` of every village question (no knowledge entry has it; the source line comes from the sheet).
ENTRY = "village.card"
LOCAL_TZ = timezone(timedelta(hours=8))
MAX_NAME_CHARS = 30      # 镇 and 村 cells
MAX_TEXT_CHARS = 60      # a text cell, or one item of a list cell
MAX_FIGURE = 10_000_000   # no village count or amount (户, 人, 元, 万元) reaches ten million: a typo
MAX_LIST_ITEMS = 12
PLACEHOLDERS = ("village", "town", "label", "unit")
TOWN_HEADERS = ("镇", "乡镇", "镇名", "所在镇")
VILLAGE_HEADERS = ("村", "村名", "行政村", "所在村", "村（社区）", "村(社区)")
NOTES_SHEET = "说明"

FieldKey = Annotated[str, StrictType(), StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Positive = Annotated[StrictFloat, Field(gt=0)] | Annotated[StrictInt, Field(gt=0)]
Percent = Annotated[StrictFloat, Field(gt=0, le=20)] | Annotated[StrictInt, Field(gt=0, le=20)]


# --------------------------------------------------------------------------------------------------- field list
class FieldType(str, Enum):
    """What a field holds."""

    count = "count"     # a whole number ≥ 0 (户, 人, 个)
    amount = "amount"   # a number ≥ 0, decimals allowed (元, 万元)
    text = "text"       # one short text (a name, 集中供水)
    list = "list"       # several items (主要产业项目), written separated by 、 or ；


class Tolerance(Strict):
    """How far a typed figure may be from the sheet's and still count: ``percent`` of it, or ``absolute`` (in the
    field's unit). Exactly one is given."""

    percent: Percent | None = None
    absolute: Positive | None = None

    @model_validator(mode="after")
    def _one(self) -> "Tolerance":
        if (self.percent is None) == (self.absolute is None):
            raise ValueError("give exactly one of percent, absolute")
        return self

    def of(self, value: Decimal) -> Decimal:
        """Return the allowed difference for ``value`` (same unit)."""
        if self.percent is not None:
            return abs(value) * Decimal(str(self.percent)) / 100
        return Decimal(str(self.absolute))

    def __str__(self) -> str:
        return f"±{self.percent:g}%" if self.percent is not None else f"±{self.absolute:g}"


class Ask(Strict):
    """Question templates of one field (each optional; placeholders ``{village}`` ``{town}`` ``{label}``
    ``{unit}``): ``fillin`` (count, amount, text), ``choice`` among close numbers (count, amount), ``multiple``
    choice among the village's items and the field's ``pool`` (list), ``interview`` (any type)."""

    fillin: NonEmpty | None = None
    choice: NonEmpty | None = None
    multiple: NonEmpty | None = None
    interview: NonEmpty | None = None

    @model_validator(mode="after")
    def _templates(self) -> "Ask":
        for kind, template in self.model_dump().items():
            if template:
                _check_template(template, kind)
        return self


class VillageField(Strict):
    """One field of a village sheet (see ``knowledge/villages/fields.yaml`` for the keys)."""

    key: FieldKey
    label: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    group: NonEmpty
    type: FieldType
    unit: NonEmpty | None = None
    tolerance: Tolerance | None = None
    at_most: FieldKey | None = None
    roles: list[Role] = Field(min_length=1)
    ask: Ask = Field(default_factory=Ask)
    pool: list[NonEmpty] = Field(default_factory=list)
    help: NonEmpty | None = None

    @model_validator(mode="after")
    def _type_rules(self) -> "VillageField":
        numeric = self.type in (FieldType.count, FieldType.amount)
        if not any(is_cjk(c) for c in self.label):
            raise ValueError(f"label '{self.label}' must be Chinese (it is the spreadsheet's column header)")
        if numeric and self.unit is None:
            raise ValueError(f"a {self.type.value} field needs a unit (户, 人, 个, 元, 万元 …)")
        if not numeric and self.unit is not None:
            raise ValueError(f"a {self.type.value} field has no unit")
        for name in ("tolerance", "at_most"):
            if getattr(self, name) is not None and not numeric:
                raise ValueError(f"only count and amount fields take '{name}'")
        if self.ask.choice and not numeric:
            raise ValueError("'ask.choice' (close numbers) is only for count and amount fields")
        if self.ask.fillin and self.type is FieldType.list:
            raise ValueError("a list field has no 'ask.fillin'; use 'ask.multiple' or 'ask.interview'")
        if self.ask.multiple and self.type is not FieldType.list:
            raise ValueError("'ask.multiple' is only for list fields")
        if self.ask.multiple and len(self.pool) < 2:
            raise ValueError("'ask.multiple' needs a 'pool' of at least two generic wrong options")
        if self.pool and not self.ask.multiple:
            raise ValueError("'pool' is only used by 'ask.multiple'")
        if len(set(self.pool)) != len(self.pool):
            raise ValueError("'pool' repeats an option")
        return self

    @property
    def header(self) -> str:
        """The template's column header: the label, with the unit for amounts (小额信贷余额（万元）)."""
        return f"{self.label}（{self.unit}）" if self.type is FieldType.amount else self.label

    @property
    def numeric(self) -> bool:
        return self.type in (FieldType.count, FieldType.amount)


class VillageInterview(Strict):
    """A mock-interview question asking several fields at once (e.g. 户数、人口、脱贫户); placeholders as in
    :class:`Ask`."""

    key: FieldKey
    question: NonEmpty
    fields: list[FieldKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _template(self) -> "VillageInterview":
        _check_template(self.question, "question")
        return self


class VillageFieldsFile(Strict):
    """``knowledge/villages/fields.yaml``: why the fields matter (shown on the card), the fields in card order, and
    grouped interview questions."""

    why: NonEmpty
    fields: list[VillageField] = Field(min_length=1)
    interviews: list[VillageInterview] = Field(default_factory=list)


def _check_template(template: str, where: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{where}: bad template ({exc}); write a literal brace as {{{{ or }}}}") from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise ValueError(f"{where}: unknown placeholder {{{unknown[0]}}}; use "
                         + ", ".join("{" + p + "}" for p in PLACEHOLDERS))


@dataclass(frozen=True)
class VillageFields:
    """The loaded field list: ``fields`` in card order, ``by_key``, grouped ``interviews``, ``why`` and the file."""

    fields: list[VillageField]
    interviews: list[VillageInterview]
    why: str
    path: str

    @cached_property
    def by_key(self) -> dict[str, VillageField]:
        return {f.key: f for f in self.fields}

    def interview_roles(self, interview: VillageInterview) -> set[Role]:
        """The roles that must know every field of a grouped interview question."""
        by_key = self.by_key
        roles = set(Role)
        for key in interview.fields:
            roles &= set(by_key[key].roles)
        return roles

    def column(self, header: str) -> VillageField | None:
        """Return the field a column header names (its label, label with unit, or an alias), or None."""
        want = _norm(header)
        for f in self.fields:
            names = [f.label, f.header, *f.aliases]
            if f.unit:
                names += [f"{f.label}({f.unit})", f"{f.label}{f.unit}"]
            if want in {_norm(n) for n in names}:
                return f
        return None


def load_fields(path: str | Path | None = None) -> VillageFields:
    """Load and check the village field list.

    Args:
        path: the YAML file (default ``knowledge/villages/fields.yaml``).
    Returns:
        the checked :class:`VillageFields`.
    Raises:
        DataFileError: every problem, each naming file, line and field (``fields.3.tolerance``): syntax, unknown
            keys, wrong types, type rules (a unit for a number, no tolerance on text …), and the rules across fields:
            unique keys (fields and interviews share them), unique headers, ``at_most`` naming another number
            field of the same unit, interview fields that exist and share a role.
    """
    path = Path(path or DEFAULT_FIELDS)
    try:
        shown = str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        shown = str(path)
    model, lines = load_model_with_lines(path, VillageFieldsFile, shown)
    errors: list[DataError] = []

    def err(loc: tuple[str | int, ...], message: str) -> None:
        line = next((lines[loc[:cut]] for cut in range(len(loc), 0, -1) if loc[:cut] in lines), 0)
        errors.append(DataError(shown, line, ".".join(str(p) for p in loc), message))

    keys: dict[str, str] = {}
    headers: dict[str, str] = {_norm(h): "the 镇 column" for h in TOWN_HEADERS}
    headers.update({_norm(h): "the 村 column" for h in VILLAGE_HEADERS})
    by_key = {f.key: f for f in model.fields}
    for i, f in enumerate(model.fields):
        if f.key in keys:
            err(("fields", i, "key"), f"duplicate key '{f.key}' (first at {keys[f.key]})")
        keys.setdefault(f.key, f"fields.{i}")
        names = [("label", f.label)] + [(f"aliases.{j}", a) for j, a in enumerate(f.aliases)]
        for where, name in names:
            if _norm(name) in headers and headers[_norm(name)] != f.key:
                err(("fields", i, *where.split(".")), f"header '{name}' is already {headers[_norm(name)]}")
            headers.setdefault(_norm(name), f"the header of '{f.key}'")
        if f.at_most is not None:
            other = by_key.get(f.at_most)
            if other is None or other is f or not other.numeric or other.unit != f.unit:
                err(("fields", i, "at_most"), f"at_most '{f.at_most}' must be another count or amount field "
                                              f"with the unit {f.unit}")
    fields = VillageFields(model.fields, model.interviews, model.why, shown)
    for i, iv in enumerate(model.interviews):
        if iv.key in keys:
            err(("interviews", i, "key"), f"duplicate key '{iv.key}' (first at {keys[iv.key]})")
        keys.setdefault(iv.key, f"interviews.{i}")
        missing = [k for k in iv.fields if k not in by_key]
        for k in missing:
            err(("interviews", i, "fields", iv.fields.index(k)), f"no field '{k}'")
        if not missing and not fields.interview_roles(iv):
            err(("interviews", i, "fields"), "no role must know all of these fields; split the question")
    if errors:
        raise DataFileError(errors)
    return fields


# ------------------------------------------------------------------------------------------------ names, values
def _norm(text: str) -> str:
    """NFKC without blanks (headers, names)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def place_key(name: str, kind: str) -> str:
    """Return how a town (``kind="town"``) or village (``"village"``) name is matched: NFKC, no blanks, without a
    trailing 镇/乡 or 村委会/村民委员会/村 (so 椰林 = 椰林村 = 椰林村委会). Empty for an empty name."""
    key = _norm(name or "")
    suffixes = ("镇", "乡") if kind == "town" else ("村民委员会", "村委会", "村")
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def village_id(town: str, village: str) -> str:
    """Return the village's id in question ids: 10 hex digits of SHA-1 over the matched town and village names."""
    return hashlib.sha1(f"{place_key(town, 'town')}/{place_key(village, 'village')}".encode()).hexdigest()[:10]


def _decimal_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 15230, 58.6, 55."""
    return format(value.normalize(), "f")


def parse_cell(f: VillageField, raw: str) -> str:
    """Return a cell's value in stored form, or raise ValueError with a Chinese message for the person filling it.

    Stored forms: count — digits (``320``); amount — a plain decimal (``58.6``); text — the text; list — a JSON
    array of the items. A count or amount may carry its own unit (``320户``, ``58.6万元``), thousands separators
    or Chinese numerals (三百二十); an amount in 万元 may be written in 元 (``586000元`` → ``58.6``).
    """
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    if f.type is FieldType.text:
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"太长了（{len(text)} 字，最多 {MAX_TEXT_CHARS} 字）")
        return text
    if f.type is FieldType.list:
        items = split_items(text)
        if not items:
            raise ValueError("没有内容")
        if len(items) > MAX_LIST_ITEMS:
            raise ValueError(f"最多 {MAX_LIST_ITEMS} 项（现在 {len(items)} 项）")
        long = [i for i in items if len(i) > MAX_TEXT_CHARS]
        if long:
            raise ValueError(f"“{long[0][:20]}…”太长（每项最多 {MAX_TEXT_CHARS} 字）")
        if len(set(items)) != len(items):
            raise ValueError("有重复的项")
        return json.dumps(items, ensure_ascii=False)
    if re.match(r"^[-−]\s*\d", text):
        raise ValueError(f"“{raw.strip()}”不能是负数")
    found = _numbers(text, years=True, whole=True)
    if len(found) != 1:
        kind = "整数" if f.type is FieldType.count else "数字"
        raise ValueError(f"“{raw.strip()}”不是{kind}（只填阿拉伯数字，单位：{f.unit}）")
    value = found[0].in_unit(f.unit or "")
    if value is None:
        raise ValueError(f"“{raw.strip()}”的单位不对（这一列的单位是{f.unit}）")
    if value > MAX_FIGURE:
        raise ValueError(f"“{raw.strip()}”太大了，一个村的数字不会超过{MAX_FIGURE:,}，请检查是否多打了零")
    if f.type is FieldType.count:
        if value != value.to_integral_value():
            raise ValueError(f"“{raw.strip()}”不是整数（{f.unit}数要填整数）")
        return str(int(value))
    return _decimal_text(value)


def split_items(text: str) -> list[str]:
    """Split a list cell into items: on ；/;/line breaks if it has any, otherwise on 、 and ，/,."""
    text = text.strip()
    if re.search(r"[；;\n]", text):
        parts = re.split(r"[；;\n]+", text)
    else:
        parts = re.split(r"[、，,]+", text)
    return [p.strip(" 。.") for p in parts if p.strip(" 。.")]


_UNIT_WORDS = ("万元", "万户", "万人", "万", "元", "户", "人", "名", "位", "个", "间", "家", "项")
_SAME_UNIT = {"人": {"人", "名", "位"}, "户": {"户", "家"}}
_UNIT_RE = "|".join(_UNIT_WORDS)
_NUMBER = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)({_UNIT_RE}|年|月|日|%)?")
_RE_AROUND = re.compile(r"大约|大概|差不多|左右|一共|总共|共有|共|约|是|有")
_CN_NUMBER_ALONE = re.compile(rf"^([零〇一二两三四五六七八九十百千万点]+)({_UNIT_RE})?$")


@dataclass(frozen=True)
class _Figure:
    """A number found in text, with the unit word written right after it (``""`` if none)."""

    value: Decimal
    unit: str

    def in_unit(self, unit: str) -> Decimal | None:
        """Return the figure in ``unit`` (万 converted: 1.5万元 → 15000 元; 586000元 → 58.6 万元), or None when the
        written unit is another one (320人 for a field in 户)."""
        written = self.unit
        if not written:
            return self.value
        if unit == "万元":
            return {"万元": self.value, "万": self.value, "元": self.value / 10000}.get(written)
        base = written[1:] if written.startswith("万") and len(written) > 1 else written
        scale = 10000 if written.startswith("万") else 1
        if written == "万" or base in _SAME_UNIT.get(unit, {unit}):
            return self.value * scale
        return None


def _numbers(text: str, years: bool = False, whole: bool = False) -> list[_Figure]:
    """Return the figures in ``text`` after :func:`bot.kernel.text.normalise` (三百二十户 → 320户) and without
    thousands separators (15,230 → 15230). Years, dates and percents are left out unless ``years``.

    With ``whole``, the text must be one figure and nothing else (a spreadsheet cell, a fill-in answer; number
    words alone count too: 三百二十); otherwise ``[]``.
    """
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", normalise(text))
    if whole:
        text = "".join(text.split())
        words = _CN_NUMBER_ALONE.match(text)
        if words:
            number = cn_to_number(words.group(1))
            text = number + (words.group(2) or "") if number != words.group(1) else text
        match = _NUMBER.fullmatch(text)
        return [_Figure(Decimal(match.group(1)), match.group(2) or "")] if match else []
    out = []
    for m in _NUMBER.finditer(text):
        unit = m.group(2) or ""
        if unit in ("年", "月", "日", "%") and not years:
            continue
        out.append(_Figure(Decimal(m.group(1)), unit))
    return out


def figure_matches(typed: str, value: Decimal, unit: str, tolerance: Decimal = Decimal(0),
                   single: bool = True) -> bool:
    """Return True when ``typed`` states ``value`` (in ``unit``, within ``tolerance``).

    Args:
        typed: what the person wrote (``320``, ``三百二十户``, ``1.5万元``, ``全村320户1260人``).
        value: the sheet's figure; unit: its unit (户, 人, 元, 万元 …); tolerance: allowed difference, same unit.
        single: the text must be one figure and nothing else (a fill-in answer); otherwise any figure in it may
            match (an interview answer).
    """
    if single:   # words around a fill-in figure that do not change it: 大约1.5万元, 共320户。
        typed = _RE_AROUND.sub("", unicodedata.normalize("NFKC", typed)).strip(" 。.!！")
    figures = _numbers(typed, whole=single)
    for figure in figures:
        got = figure.in_unit(unit)
        if got is not None and abs(got - value) <= tolerance:
            return True
    return False


def close_numbers(value: Decimal, f: VillageField, seed: str) -> list[Decimal]:
    """Return three wrong figures close to ``value`` for a choice question: steps of about 6 % (at least twice the
    tolerance plus one unit of the value's precision, so none of them would count as right), never negative; on
    which side of the right one they lie is random per ``seed`` (the question id), so the same question always
    gets the same options."""
    places = 0 if f.type is FieldType.count else max(0, -value.as_tuple().exponent)
    quantum = Decimal(1).scaleb(-places)
    tol = f.tolerance.of(value) if f.tolerance else Decimal(0)
    gap = max(tol * 2 + quantum, abs(value) * Decimal("0.06")).quantize(quantum, rounding=ROUND_CEILING)
    windows = [(-3, -2, -1), (-2, -1, 1), (-1, 1, 2), (1, 2, 3)]   # the right one 4th, 3rd, 2nd or 1st in order
    random.Random(seed).shuffle(windows)
    return next([value + k * gap for k in w] for w in windows if value + w[0] * gap >= 0)   # (1, 2, 3) always fits


# --------------------------------------------------------------------------------------------------- the sheet
@dataclass(frozen=True)
class VillageSheet:
    """One village's imported facts: ``town`` and ``village`` as written in the latest import, ``id`` (see
    :func:`village_id`), ``values`` by field key (stored form, see :func:`parse_cell`) and ``imported`` (UTC ISO
    time of the latest import holding each field)."""

    town: str
    village: str
    id: str
    values: dict[str, str]
    imported: dict[str, str]

    def imported_on(self, keys: Iterable[str] | None = None) -> str:
        """Return the local date (UTC+8, ``YYYY-MM-DD``) of the latest import of ``keys`` (default: all)."""
        times = [self.imported[k] for k in (keys if keys is not None else self.imported) if k in self.imported]
        latest = max(times or self.imported.values())
        return datetime.fromisoformat(latest).astimezone(LOCAL_TZ).date().isoformat()

    def items(self, f: VillageField) -> list[str]:
        """Return a list field's items (a text field as one item; empty if not filled)."""
        raw = self.values.get(f.key)
        if raw is None:
            return []
        return json.loads(raw) if f.type is FieldType.list else [raw]

    def shown(self, f: VillageField) -> str:
        """Return a field's value as shown: ``320户``, ``58.6万元``, a text, items joined by 、 (``""`` if not filled)."""
        raw = self.values.get(f.key)
        if raw is None:
            return ""
        if f.numeric:
            return f"{raw}{f.unit}"
        return "、".join(self.items(f))


_SHEET_SQL = ("select town, village, village_id, field, value, imported_at from village_facts "
              "where {where} order by imported_at")


def _sheets_from(rows: Iterable[Any]) -> list[VillageSheet]:
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        sheet = grouped.setdefault(r["village_id"], {"values": {}, "imported": {}})
        sheet.update(town=r["town"], village=r["village"])
        sheet["values"][r["field"]] = r["value"]
        sheet["imported"][r["field"]] = r["imported_at"]
    return [VillageSheet(s["town"], s["village"], vid, s["values"], s["imported"]) for vid, s in grouped.items()]


def _roster_place(store: Store, person: Person) -> tuple[str, str] | None | bool:
    """The village the coordinator's roster puts this account in: (town, village) for an account bound by its
    invite; False when a roster exists but this account is not on it; None when no roster was imported."""
    if "roster" not in store.db.table_names():
        return None
    bound = store.db.execute("select town, village from roster where person_id = ?", [person.id]).fetchone()
    if bound:
        return bound[0], bound[1]
    return False if store.db.execute("select 1 from roster limit 1").fetchone() else None


def needs_invite(store: Store, person: Person) -> bool:
    """True when a roster was imported and this account is not bound to a row of it. Anyone can type a village
    at /start, so once the coordinators keep a roster, village figures go only to accounts they invited."""
    return _roster_place(store, person) is False


def own_village(store: Store, person: Person) -> tuple[str, str] | None:
    """The (town, village) whose sheet this person may read: the roster row an invited account is bound to
    (re-registering elsewhere changes nothing), else — while no roster exists — the registered one; None when
    neither applies."""
    place = _roster_place(store, person)
    if isinstance(place, tuple):
        return place
    if place is False or not person.registered or not person.town or not person.village:
        return None
    return person.town, person.village


def sheet_of(store: Store, person: Person) -> VillageSheet | None:
    """Return the sheet of the person's own village (see :func:`own_village`: the roster row for an invited account,
    the registration while no roster exists), or None (no such village, not invited although a roster exists, or no
    sheet).

    The query is filtered by the person's own town and village: nothing of another village is read.
    """
    place = own_village(store, person)
    if place is None:
        return None
    town, village = place_key(place[0], "town"), place_key(place[1], "village")
    rows = store.db.query(_SHEET_SQL.format(where="town_key = ? and village_key = ?"), [town, village])
    found = _sheets_from(rows)
    return found[0] if found else None


def sheets_in_scope(store: Store, town: str | None, village: str | None = None) -> list[VillageSheet]:
    """Return the sheets a coordinator may read: those of ``town`` (None: the whole city), only the villages named
    ``village`` when given, ordered by town and village.

    The scope's town is a parameter of the query: nothing of another town is read.
    """
    where, params = "1 = 1", []
    if town is not None:
        where += " and town_key = ?"
        params.append(place_key(town, "town"))
    if village is not None:
        where += " and village_key = ?"
        params.append(place_key(village, "village"))
    found = _sheets_from(store.db.query(_SHEET_SQL.format(where=where), params))
    return sorted(found, key=lambda s: (s.town, s.village))


def _sheet_by_id(store: Store, vid: str) -> VillageSheet | None:
    """The sheet with this village id (only to rebuild a question whose id is already in a person's session)."""
    found = _sheets_from(store.db.query(_SHEET_SQL.format(where="village_id = ?"), [vid]))
    return found[0] if found else None


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

    def summary(self) -> str:
        """Return a Chinese summary line, then one line per skipped cell."""
        lines = [f"导入完成：{self.added + self.updated + self.unchanged} 个村（新增 {self.added}，更新 {self.updated}，"
                 f"未变 {self.unchanged}）；数据新增 {self.values_added} 项，更新 {self.values_updated} 项，"
                 f"未变 {self.values_unchanged} 项；空白 {self.blank} 格（保留原有数据）；跳过 {len(self.errors)} 处错误。"]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def _sheets(path: Path) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    """Every sheet of the file (see :func:`bot.kernel.sheets.read_sheets`). Raises :class:`VillageFileError`."""
    try:
        yield from read_sheets(path)
    except SpreadsheetError as exc:
        raise VillageFileError(str(exc)) from exc


def _letter(index: int) -> str:
    """Return the spreadsheet column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_village_file(path: str | Path, fields: VillageFields) -> tuple[list[VillageRow], list[CellError], int]:
    """Read and check village sheets.

    Args:
        path: a .xlsx (every sheet whose header has 镇 and 村; a sheet named 说明 is skipped) or .csv (UTF-8 or
            GBK). First non-empty row: the header — 镇, 村, then field columns by label (see
            :meth:`VillageFields.column`); other rows: one village each.
        fields: the field list.
    Returns:
        ``(rows, errors, blank)``: the villages with their valid cells, every bad cell (unknown or repeated
        header, empty or over-long 镇/村, a village repeated, a value that does not fit its field, a figure over
        its ``at_most``), and the number of blank field cells.
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
    for sheet, lines in _sheets(path):
        header: dict[int, VillageField] | None = None
        town_col = village_col = -1
        for number, cells in lines:
            if not any(cells):
                continue
            if header is None:
                heads = [_norm(h) for h in cells]
                town_col = next((i for i, h in enumerate(heads) if h in {_norm(t) for t in TOWN_HEADERS}), -1)
                village_col = next((i for i, h in enumerate(heads) if h in {_norm(v) for v in VILLAGE_HEADERS}), -1)
                if town_col < 0 or village_col < 0:
                    if sheet != NOTES_SHEET:
                        errors.append(CellError(sheet, number, "", "", "第一行应是表头（镇、村、各字段），缺少“镇”或“村”列，"
                                                                       "这张工作表未导入"))
                    break
                header = {}
                for i, head in enumerate(cells):
                    if not head or i in (town_col, village_col):
                        continue
                    if (f := fields.column(head)) is None:
                        errors.append(CellError(sheet, number, _letter(i), head, "不是村情字段（字段见 "
                                                f"{fields.path}），这一列未导入"))
                    elif f in header.values():
                        first = next(_letter(j) for j, g in header.items() if g is f)
                        errors.append(CellError(sheet, number, _letter(i), head, f"与 {first} 列是同一字段，这一列未导入"))
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
    if not read_any:
        raise VillageFileError(f"{path}: 没有带“镇”“村”表头的工作表（用 python -m bot villages template 生成模板）")
    return rows, errors, blank


def import_rows(store: Store, rows: list[VillageRow], now: str | None = None) -> VillageImportResult:
    """Add or update the villages' values in one transaction, one row per (town, village, field).

    A value already stored and unchanged only gets the new import time; the town's and village's names are set to
    how this import writes them. Fields a row leaves blank keep their earlier values.

    Returns:
        the counts (``errors`` empty; the caller adds the file's).
    """
    result = VillageImportResult()
    now = now or utcnow()
    with store.db.conn:
        for row in rows:
            tkey, vkey = place_key(row.town, "town"), place_key(row.village, "village")
            old = {r["field"]: r["value"] for r in store.db.query(
                "select field, value from village_facts where town_key = ? and village_key = ?", [tkey, vkey])}
            store.db.execute("update village_facts set town = ?, village = ? where town_key = ? and village_key = ?",
                             [row.town, row.village, tkey, vkey])
            changed = False
            for key, value in row.values.items():
                if key not in old:
                    result.values_added += 1
                elif old[key] != value:
                    result.values_updated += 1
                else:
                    result.values_unchanged += 1
                changed |= old.get(key) != value
                store.db.execute(
                    "insert into village_facts (town_key, village_key, field, village_id, town, village, value, "
                    "imported_at, changed_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "on conflict (town_key, village_key, field) do update set value = excluded.value, "
                    "imported_at = excluded.imported_at, "
                    "changed_at = case when value = excluded.value then changed_at else excluded.changed_at end",
                    [tkey, vkey, key, village_id(row.town, row.village), row.town, row.village, value, now, now])
            if not old:
                result.added += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def import_file(store: Store, path: str | Path, fields: VillageFields) -> VillageImportResult:
    """Read a village file (:func:`read_village_file`) and import its valid cells (:func:`import_rows`).

    Returns:
        the counts, with ``errors`` listing every skipped cell by sheet, row and column.
    Raises:
        FileNotFoundError, VillageFileError: as :func:`read_village_file`.
    """
    rows, errors, blank = read_village_file(path, fields)
    result = import_rows(store, rows)
    result.errors, result.blank = errors, blank
    return result


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


# ------------------------------------------------------------------------------------------------- questions
@dataclass(frozen=True)
class _Target:
    """What one interview key point asks for: a figure (``value`` in ``unit`` within ``tolerance``) or a text."""

    point: KeyPoint
    value: Decimal | None = None
    unit: str = ""
    tolerance: Decimal = Decimal(0)
    text: str | None = None


def _format(template: str, sheet: VillageSheet, f: VillageField | None = None) -> str:
    return template.format(village=sheet.village, town=sheet.town, label=f.label if f else "",
                           unit=(f.unit or "") if f else "")


def _qid(sheet: VillageSheet, key: str, kind: str) -> str:
    return f"v.{sheet.id}.{key}.{kind}"


def _explanation(sheet: VillageSheet, f: VillageField) -> str:
    note = f"（填空答案相差 {f.tolerance} 以内算对）" if f.tolerance else ""
    return f"{sheet.village}村情表：{f.label} {sheet.shown(f)}。{note}"


def field_questions(sheet: VillageSheet, f: VillageField) -> list[QuizQuestion]:
    """Return the practice questions of one filled field of a sheet, by its templates: fill-in (``.f``), choice
    among close numbers (``.c``), multiple choice among the items and the field's pool (``.m``)."""
    if f.key not in sheet.values:
        return []
    out = []
    roles = list(f.roles)
    common = {"explanation": _explanation(sheet, f), "entry": ENTRY, "roles": roles, "generated": True}
    if f.ask.fillin:
        out.append(QuizQuestion(id=_qid(sheet, f.key, "f"), type=QuestionType.fillin,
                                question=_format(f.ask.fillin, sheet, f), answer=sheet.shown(f), **common))
    if f.ask.choice:
        qid = _qid(sheet, f.key, "c")
        value = Decimal(sheet.values[f.key])
        options = sorted([value, *close_numbers(value, f, qid)])
        out.append(QuizQuestion(id=qid, type=QuestionType.single, question=_format(f.ask.choice, sheet, f),
                                options=[f"{_decimal_text(o)}{f.unit}" for o in options],
                                answer=sheet.shown(f), **common))
    if f.ask.multiple:
        qid = _qid(sheet, f.key, "m")
        items = sheet.items(f)[:4]
        own = [_norm(i) for i in sheet.items(f)]
        pool = [p for p in f.pool if not any(_norm(p) in i or i in _norm(p) for i in own)]
        rng = random.Random(qid)
        wrong = rng.sample(pool, min(len(pool), max(2, 6 - len(items)) if len(items) > 1 else 3))
        if wrong:
            kind = QuestionType.multiple if len(items) > 1 else QuestionType.single
            out.append(QuizQuestion(id=qid, type=kind, question=_format(f.ask.multiple, sheet, f),
                                    options=sorted(items + wrong), answer=items if len(items) > 1 else items[0],
                                    **common))
    return out


def _targets(sheet: VillageSheet, f: VillageField, labelled: bool) -> list[_Target]:
    """The key points of one filled field: its figure, its text, or one per item (``labelled``: shown as
    ``工作队员：符文强`` in a question asking several fields)."""
    if f.key not in sheet.values:
        return []
    if f.numeric:
        value = Decimal(sheet.values[f.key])
        return [_Target(KeyPoint(point=f"{f.label} {sheet.shown(f)}"), value=value, unit=f.unit or "",
                        tolerance=f.tolerance.of(value) if f.tolerance else Decimal(0))]
    if f.type is FieldType.text:
        return [_Target(KeyPoint(point=f"{f.label}：{sheet.values[f.key]}"), text=sheet.values[f.key])]
    return [_Target(KeyPoint(point=f"{f.label}：{item}" if labelled else item), text=item) for item in sheet.items(f)]


def interview_questions(sheet: VillageSheet, fields: VillageFields) -> list[tuple[InterviewQuestion, list[_Target]]]:
    """Return the sheet's mock-interview questions with what each key point asks for: one per field with an
    ``ask.interview`` template (``v.<id>.<field>.i``; a list's key points are its items) and one per grouped
    interview (``v.<id>.<interview>.i``; a figure's key point is ``label value unit``), over the filled fields."""
    by_key = fields.by_key
    out = []
    asks = [(f.key, f.ask.interview, [f], set(f.roles)) for f in fields.fields if f.ask.interview]
    asks += [(iv.key, iv.question, [by_key[k] for k in iv.fields], fields.interview_roles(iv))
             for iv in fields.interviews]
    for key, template, members, roles in asks:
        targets = [t for f in members for t in _targets(sheet, f, labelled=len(members) > 1)]
        if not targets:
            continue
        filled = [f for f in members if f.key in sheet.values]
        model = "；".join(f"{f.label}：{sheet.shown(f)}" for f in filled)
        question = InterviewQuestion(id=_qid(sheet, key, "i"), roles=sorted(roles, key=list(Role).index),
                                     question=_format(template, sheet, members[0] if len(members) == 1 else None),
                                     key_points=[t.point for t in targets], model_answer=f"{sheet.village}：{model}。",
                                     entry=ENTRY)
        out.append((question, targets))
    return out


def _covered(target: _Target, answer: str) -> bool:
    if target.value is not None:
        return figure_matches(answer, target.value, target.unit, target.tolerance, single=False)
    assert target.text is not None
    # By wording or sound (grading.point_covered), but the figures a text holds must be said exactly: a sound match
    # alone would take 3.5万元 for 3.2万元.
    wanted = {(f.value, f.unit) for f in _numbers(target.text, years=True)}
    said = {(f.value, f.unit) for f in _numbers(answer, years=True)}
    return point_covered(KeyPoint(point=target.text), answer) and wanted <= said


# ----------------------------------------------------------------------------------------------- the source
class VillageFacts:
    """The village questions and cards over one store: a :class:`bot.practice.quiz.QuestionSource`.

    Besides the protocol it judges its own fill-in answers (:meth:`judge_fillin`: figures within the field's
    tolerance) and grades its own interview answers (:meth:`grade_interview`: figures compared as numbers).

    Args:
        store: the database with ``village_facts``.
        fields: the field list (default: :func:`load_fields`).
    """

    def __init__(self, store: Store, fields: VillageFields | None = None):
        self.store = store
        self.fields = fields or load_fields()

    # --- QuestionSource
    def questions_for(self, person: Person) -> list[QuizQuestion]:
        """Return the practice questions of the person's own village for the fields their role must know."""
        sheet = sheet_of(self.store, person)
        if sheet is None or not person.role:
            return []
        return [q for f in self.fields.fields if person.role in f.roles for q in field_questions(sheet, f)]

    def interview_for(self, person: Person) -> list[InterviewQuestion]:
        """Return the mock-interview questions of the person's own village for their role."""
        sheet = sheet_of(self.store, person)
        if sheet is None or not person.role:
            return []
        return [q for q, _ in interview_questions(sheet, self.fields) if person.role in q.roles]

    def _parse(self, question_id: str) -> tuple[VillageSheet, str, str] | None:
        parts = question_id.split(".")
        if len(parts) != 4 or parts[0] != "v":
            return None
        sheet = _sheet_by_id(self.store, parts[1])
        return (sheet, parts[2], parts[3]) if sheet is not None else None

    def question(self, question_id: str) -> QuizQuestion | InterviewQuestion | None:
        """Return the question with this id as the sheet now stands, or None if it is not a village question."""
        found = self._built(question_id)
        return found[0] if found else None

    def _built(self, question_id: str) -> tuple[QuizQuestion | InterviewQuestion, list[_Target]] | None:
        parsed = self._parse(question_id)
        if parsed is None:
            return None
        sheet, key, kind = parsed
        if kind == "i":
            return next(((q, t) for q, t in interview_questions(sheet, self.fields) if q.id == question_id), None)
        f = self.fields.by_key.get(key)
        if f is None:
            return None
        return next(((q, []) for q in field_questions(sheet, f) if q.id == question_id), None)

    def source_line(self, question_id: str) -> str | None:
        """Return ``来源：<镇><村>村情表（<import date> 导入）`` for a village question, else None."""
        parsed = self._parse(question_id)
        if parsed is None:
            return None
        sheet, key, kind = parsed
        by_key = self.fields.by_key
        keys = ([key] if key in by_key else
                next((iv.fields for iv in self.fields.interviews if iv.key == key), None))
        return f"来源：{sheet.town}{sheet.village}村情表（{sheet.imported_on(keys)} 导入）"

    # --- judging (hooks called by QuizMaster.judge and Interviewer.answer)
    def judge_fillin(self, question: QuizQuestion, typed: str) -> bool | None:
        """Judge a typed answer to one of this source's fill-in questions: a figure is right within the field's
        tolerance, in its unit or none (320, 320户, 三百二十户; 1.5万元 for 15230元 at ±2 %), wrong in another
        unit (320人 for 户). None for another source's question or a text field (judged as usual)."""
        if not question.id.startswith("v.") or question.type is not QuestionType.fillin:
            return None
        key = question.id.split(".")[2]
        f = self.fields.by_key.get(key)
        if f is None or not f.numeric:
            return None
        sheet_value = question.answer_text[: -len(f.unit or "")] if f.unit else question.answer_text
        value = Decimal(sheet_value)
        tolerance = f.tolerance.of(value) if f.tolerance else Decimal(0)
        return figure_matches(typed, value, f.unit or "", tolerance)

    def grade_interview(self, question: InterviewQuestion, answer: str) -> InterviewGrade | None:
        """Grade an answer to one of this source's interview questions: a figure's key point is covered when the
        answer states it (within tolerance, in its unit), a text's as :func:`bot.practice.grading.point_covered` with
        its figures exact. None for another source's question."""
        built = self._built(question.id) if question.id.startswith("v.") else None
        if built is None:
            return None
        targets = built[1]
        covered = [t.point for t in targets if _covered(t, answer)]
        return InterviewGrade(covered, [t.point for t in targets if t.point not in covered],
                              too_long(answer, question.model_answer))

    # --- must-know ids and the card
    def must_know(self, person: Person) -> list[str]:
        """Return the ids of the practice questions on the person's own village their role must know."""
        return [q.id for q in self.questions_for(person)]

    def card(self, sheet: VillageSheet, role: str | None = None) -> str:
        """Return a village's card as phone-sized text: title, import date, fields grouped under short headings
        (lists one item a line), what is not filled, and why it matters. With ``role``, fields that role must know
        are starred unless it must know all of them."""
        shown = [f for f in self.fields.fields if f.key in sheet.values]
        must = {f.key for f in shown if role and role in f.roles}
        star = bool(must) and len(must) < len(shown)
        lines = [f"📋 {sheet.village}村情卡", f"{sheet.town} · {sheet.imported_on()} 导入"]
        if role and must and not star:
            lines.append(f"{Role(role).label}：以下都要熟记，评估组会问。")
        elif star:
            lines.append(f"★ 是{Role(role).label}必须熟记的。")
        group = None
        for f in shown:
            if f.group != group:
                group = f.group
                lines += ["", f"【{group}】"]
            mark = "★" if star and f.key in must else ""
            if f.type is FieldType.list:
                lines.append(f"{mark}{f.label}：")
                lines += [f"· {item}" for item in sheet.items(f)]
            else:
                lines.append(f"{mark}{f.label}：{sheet.shown(f)}")
        missing = [f.label for f in self.fields.fields if f.key not in sheet.values]
        if missing:
            lines += ["", "表中未填：" + "、".join(missing)]
        lines += ["", self.fields.why]
        if must:
            lines += ["发送 /practice 练习本村数字，", "/interview 模拟访谈。"]
        return "\n".join(lines)


def village_must_know(store: Store, person: Person, fields: VillageFields | None = None) -> list[str]:
    """Return the ids of the village practice questions ``person`` must know (for the readiness rule): those of
    their own registered village's sheet for the fields their role must know; ``[]`` when they have no
    registration, no role, or their village no sheet. The ids are those :meth:`VillageFacts.questions_for` serves
    (``v.<village id>.<field>.<f|c|m>``); answers to them are in ``quiz_answers`` like any other.

    Args:
        store: the database.
        person: the person (their own ``town`` and ``village`` are the only ones read).
        fields: the field list (default: :func:`load_fields`).
    """
    return VillageFacts(store, fields).must_know(person)


# -------------------------------------------------------------------------------------------------- /village
NO_REGISTRATION = "还没有登记您所在的镇和村。发送 /start 登记后，就能用 /village 看本村的村情卡。"
OTHER_VILLAGE = "只能查看本村的村情卡（您登记的是{own}）。查看其他村需要镇级或市级协调员权限。"


class VillageCommand:
    """``/village`` shows the person's own village card; ``/village [镇] 村名`` another village's, for a coordinator
    whose scope holds it (a town coordinator's search is limited to their town: another town's village is "not
    found", the same as one that does not exist).

    Args:
        source: the village facts.
        scope_of: returns a person's coordinator scope (``.town`` None for the city, ``.label``), or None.
    """

    def __init__(self, source: VillageFacts, scope_of: Callable[[Person], "Scope | None"] | None = None):
        self.source = source
        self.scope_of = scope_of or (lambda person: None)

    def __call__(self, person: Person, arg: str) -> list[Reply]:
        words = arg.split()
        scope = self.scope_of(person)
        own = sheet_of(self.source.store, person)
        registered = person.registered and person.town and person.village
        if len(words) > 2:
            return [Reply("用法：/village 看本村；协调员可用 /village 村名 或 /village 镇名 村名。")]
        if words:
            town, village = (words[0], words[1]) if len(words) == 2 else (None, words[0])
            mine = registered and place_key(village, "village") == place_key(person.village or "", "village") and \
                (town is None or place_key(town, "town") == place_key(person.town or "", "town"))
            if scope is None or mine:
                if not registered:
                    return [Reply(NO_REGISTRATION)]
                if not mine:
                    return [Reply(OTHER_VILLAGE.format(own=f"{person.town} {person.village}"))]
                return [self._own(person, own)]
            return [self._in_scope(scope, town, village)]
        if registered:
            replies = [self._own(person, own)]
            if own is None and scope is not None:
                replies.append(self._list(scope))
            return replies
        if scope is not None:
            return [self._list(scope)]
        return [Reply(NO_REGISTRATION)]

    def _own(self, person: Person, sheet: VillageSheet | None) -> Reply:
        if sheet is None and needs_invite(self.source.store, person):
            return Reply("村情涉及农户信息，只给协调员名册上的人看。"
                         "请用协调员发给您的邀请链接（/start 加邀请码）登记后再查看。")
        if sheet is None:
            return Reply(f"还没有导入{person.town}{person.village}的村情表，请联系镇里的协调员导入。"
                         f"（村情表里的镇、村名要和您登记的“{person.town} {person.village}”一致。）")
        return Reply(self.source.card(sheet, person.role))

    def _in_scope(self, scope: "Scope", town: str | None, village: str) -> Reply:
        if town is not None and scope.town is not None and place_key(town, "town") != place_key(scope.town, "town"):
            found: list[VillageSheet] = []
        else:
            found = sheets_in_scope(self.source.store, scope.town if scope.town is not None else town, village)
        if not found:
            return Reply(f"{scope.label}范围内没有“{village}”的村情表。发送 /village 看已导入的村。")
        if len(found) > 1:
            return Reply("有几个同名的村，请写上镇名：" + "、".join(f"/village {s.town} {s.village}" for s in found))
        return Reply(self.source.card(found[0]))

    def _list(self, scope: "Scope") -> Reply:
        sheets = sheets_in_scope(self.source.store, scope.town)
        if not sheets:
            return Reply(f"{scope.label}还没有导入村情表（python -m bot villages import 文件）。")
        lines = [f"{scope.label}已导入村情表的村（{len(sheets)} 个）："]
        lines += [f"· {s.town} {s.village}（{s.imported_on()} 导入）" for s in sheets]
        lines.append("发送 /village 村名 查看。")
        return Reply("\n".join(lines))


def install(dialog: "Dialog", fields: VillageFields | None = None,
            scope_of: Callable[[Person], "Scope | None"] | None = None) -> VillageFacts:
    """Add village fact cards to ``dialog``: the question source (``dialog.add_question_source``, so ``/practice``
    and ``/interview`` include the person's village facts) and the ``/village`` command.

    Args:
        dialog: the dialog to extend.
        fields: the field list (default: :func:`load_fields`).
        scope_of: a person's coordinator scope or None (e.g.
            :meth:`bot.coordination.coordinators.CoordinatorCommands.scope_of`); without it nobody is a coordinator.
    Returns:
        the source (for tests and the readiness rule).
    Raises:
        DataFileError: a broken field list, when loading the default.
    """
    source = VillageFacts(dialog.store, fields)
    dialog.add_question_source(source)
    dialog.add_command("village", VillageCommand(source, scope_of))
    return source
