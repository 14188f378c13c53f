"""The field list of village sheets (``knowledge/villages/fields.yaml``): strict schema, loading with file/line errors."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, StrictFloat, StrictInt, StringConstraints, model_validator
from pydantic import Strict as StrictType

from bot.kernel.models import (
    NonEmpty,
    Strict,
)
from bot.kernel.roles import Role
from bot.kernel.text import is_cjk
from bot.kernel.yamlfile import DataError, DataFileError, load_model_with_lines
from bot.qa.knowledge import PROJECT_ROOT

DEFAULT_FIELDS = PROJECT_ROOT / "knowledge" / "villages" / "fields.yaml"
PLACEHOLDERS = ("village", "town", "label", "unit")

FieldKey = Annotated[str, StrictType(), StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Positive = Annotated[StrictFloat, Field(gt=0)] | Annotated[StrictInt, Field(gt=0)]
Percent = Annotated[StrictFloat, Field(gt=0, le=20)] | Annotated[StrictInt, Field(gt=0, le=20)]



TOWN_HEADERS = ("镇", "乡镇", "镇名", "所在镇")
VILLAGE_HEADERS = ("村", "村名", "行政村", "所在村", "村（社区）", "村(社区)")
NOTES_SHEET = "说明"

def compact(text: str) -> str:
    """Return ``text`` NFKC-normalised without blanks: how headers and place names are compared."""
    return "".join(unicodedata.normalize("NFKC", text).split())


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
        want = compact(header)
        for f in self.fields:
            names = [f.label, f.header, *f.aliases]
            if f.unit:
                names += [f"{f.label}({f.unit})", f"{f.label}{f.unit}"]
            if want in {compact(n) for n in names}:
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
    headers: dict[str, str] = {compact(h): "the 镇 column" for h in TOWN_HEADERS}
    headers.update({compact(h): "the 村 column" for h in VILLAGE_HEADERS})
    by_key = {f.key: f for f in model.fields}
    for i, f in enumerate(model.fields):
        if f.key in keys:
            err(("fields", i, "key"), f"duplicate key '{f.key}' (first at {keys[f.key]})")
        keys.setdefault(f.key, f"fields.{i}")
        names = [("label", f.label)] + [(f"aliases.{j}", a) for j, a in enumerate(f.aliases)]
        for where, name in names:
            if compact(name) in headers and headers[compact(name)] != f.key:
                err(("fields", i, *where.split(".")), f"header '{name}' is already {headers[compact(name)]}")
            headers.setdefault(compact(name), f"the header of '{f.key}'")
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

