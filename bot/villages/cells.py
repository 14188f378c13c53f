"""Reading one cell of a village sheet: place names, values by field type, figures compared within tolerance."""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from decimal import ROUND_CEILING, Decimal

from bot.kernel import figures

from .fields import FieldType, VillageField, compact

MAX_NAME_CHARS = 30      # 镇 and 村 cells
MAX_TEXT_CHARS = 60      # a text cell, or one item of a list cell
MAX_FIGURE = 10_000_000   # no village count or amount (户, 人, 元, 万元) reaches ten million: a typo
MAX_LIST_ITEMS = 12


# ------------------------------------------------------------------------------------------------ names, values
def place_key(name: str, kind: str) -> str:
    """Return how a town (``kind="town"``) or village (``"village"``) name is matched: NFKC, no blanks, without a
    trailing 镇/乡 or 村委会/村民委员会/村 (so 椰林 = 椰林村 = 椰林村委会). Empty for an empty name."""
    key = compact(name or "")
    suffixes = ("镇", "乡") if kind == "town" else ("村民委员会", "村委会", "村")
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def village_id(town: str, village: str) -> str:
    """Return the village's id in question ids: 10 hex digits of SHA-1 over the matched town and village names."""
    return hashlib.sha1(f"{place_key(town, 'town')}/{place_key(village, 'village')}".encode()).hexdigest()[:10]


_decimal_text = figures.text_of   # 15230, 58.6, 55: no exponent, no trailing zeros


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
    found = figures.single_figure(text)
    if found is None:
        kind = "整数" if f.type is FieldType.count else "数字"
        raise ValueError(f"“{raw.strip()}”不是{kind}（只填阿拉伯数字，单位：{f.unit}）")
    value = found.in_unit(f.unit or "")
    if value is None:
        raise ValueError(f"“{raw.strip()}”的单位不对（这一列的单位是{f.unit}）")
    if value > MAX_FIGURE:
        raise ValueError(f"“{raw.strip()}”太大了，一个村的数字不会超过{MAX_FIGURE:,}，请检查是否多打了零")
    value = _field_precision(value, f)
    if f.type is FieldType.count:
        if value != value.to_integral_value():
            raise ValueError(f"“{raw.strip()}”不是整数（{f.unit}数要填整数）")
        return str(int(value))
    return _decimal_text(value)


#: Decimal places an amount keeps, by unit: a cent of 元, one 元 of 万元.
AMOUNT_PLACES = {"元": 2, "万元": 4}


def _field_precision(value: Decimal, f: VillageField) -> Decimal:
    """Round away binary float artefacts to the field's precision: a count within a millionth of a whole
    number is that number (320.00000000000006 → 320; 320.5 stays, and is refused as not whole); an amount keeps
    at most :data:`AMOUNT_PLACES` decimals of its unit (58.599999999999994万元 → 58.6), 15 significant digits
    in any other unit."""
    if f.type is FieldType.count:
        whole = value.to_integral_value()
        return whole if abs(value - whole) <= Decimal("1e-6") else value
    places = AMOUNT_PLACES.get(f.unit or "")
    if places is not None:
        return value.quantize(Decimal(1).scaleb(-places)).normalize()
    return Decimal(format(value, ".15g"))


def split_items(text: str) -> list[str]:
    """Split a list cell into items: on ；/;/line breaks if it has any, otherwise on 、 and ，/,."""
    text = text.strip()
    if re.search(r"[；;\n]", text):
        parts = re.split(r"[；;\n]+", text)
    else:
        parts = re.split(r"[、，,]+", text)
    return [p.strip(" 。.") for p in parts if p.strip(" 。.")]


_RE_AROUND = re.compile(r"大约|大概|差不多|左右|一共|总共|共有|共|约|是|有")


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
    said = ([f] if (f := figures.single_figure(typed)) else []) if single else figures.figures(typed)
    for figure in said:
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

