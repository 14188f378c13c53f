"""Figures: the one place that reads numbers, units, percentages, dates and ranges, written or spoken.

Cadres write and dictate figures in many forms; every feature (Q&A matching, fill-in judging, interview grading,
sheet imports) reads them here, so one form means one value everywhere:

=========================  ===========================
written or spoken          read as
=========================  ===========================
三百二十, 三百二           320
一千二                     1200
一万五, 1.5万, 一点五万    15000
三千五块, 三千五百块钱     3500元
百分之零点五, 0.5 %        0.5%
两成, 九成以上             20%, 90%以上
百分百, 百分之百           100%
七成五                     75%
千分之五, 零点五个百分点   0.5%
10月28号                   10月28日
2019年10月到2020年9月      2019年10月至2020年9月
=========================  ===========================

What stays text: digits are never re-read (a phone number 13812345678, a year 2021, an id ``q12`` keep their
digits), and number words count as a number only before a measure word or when they hold a unit word
(一千二, 三百二), so 一般, 统一, 万一, 千万 stay words. Chinese numerals are read by the kept library ``cn2an``
("normal" mode reads the spoken short forms 三百二 = 320, 一千二 = 1200); this module only finds where they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

#: A number written in digits (what :func:`to_digits` leaves): other modules find numbers with this pattern only.
NUMBER_PATTERN = r"(?<![\d.])\d+(?:\.\d+)?"
#: The characters of Chinese number words (点 for the decimal point).
CN_NUMERALS = "零〇一二两三四五六七八九十百千万亿点"
_CN_DIGIT_CHARS = "零〇一二两三四五六七八九"
_CN_UNIT_CHARS = "十百千万亿"
#: Measure words after which a number word is a number (三十种 → 30种, 十一月 → 11月).
MEASURE_WORDS = "个种项名户人月日号次场分元块年倍岁成"

_RE_CN_SPAN = re.compile(rf"[{CN_NUMERALS}]+")
_RE_MIXED = re.compile(r"(?<![\d.])\d+[十百千万亿](?:\d+[十百千万亿]?)*")   # 1万5, 5万6千, 3千5, 4千: digits and unit words
_RE_PERCENT_WORDS = re.compile(rf"百分之([{CN_NUMERALS}]+|\d+(?:\.\d+)?)")
_RE_TENTHS = re.compile(r"(?<![\d.])(\d{1,2})成")                 # 两成 → 2成 → 20%
_RE_TENTHS_AND = re.compile(r"(?<![\d.])(\d)成([1-9一二三四五六七八九])(?![\d十百千万个])")   # 七成五 → 75%
_RE_PERMILLE_WORDS = re.compile(rf"千分之([{CN_NUMERALS}]+|\d+(?:\.\d+)?)")      # 千分之五 → 0.5%
_RE_POINTS = re.compile(r"(\d+(?:\.\d+)?)个?百分点")                      # 0.5个百分点 → 0.5%
_RE_WAN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)万(?![元户人])")     # 1.5万 → 15000 (1.5万元 keeps its unit)
_RE_HAO = re.compile(r"(\d+)号")
_RE_KUAI = re.compile(r"(\d+(?:\.\d+)?)块(?:钱)?")
_RE_SPACES_IN_NUMBER = re.compile(r"(?<=\d)\s+(?=[\d%.])")
_RE_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RE_RANGE = re.compile(r"(\d+[年月日])\s*(?:到|～|~|—|–|-|－)\s*(?=\d)")


@lru_cache(maxsize=4096)
def number(words: str) -> Decimal | None:
    """Read one number written in digits, words or both.

    Args:
        words: ``"320"``, ``"15,230"``, ``"三百二十"``, ``"三百二"``, ``"一千二"``, ``"一万五"``, ``"1.5万"``,
            ``"一点五万"``, ``"零点五"``, ``"二〇二一"`` (read digit by digit).
    Returns:
        The value as a Decimal (``Decimal("320")``, ``Decimal("15000")``, ``Decimal("0.5")``), or None when the
        text is not one well-formed number (``"万"``, ``"一般"``, ``"3.5.1"``).
    """
    text = _RE_THOUSANDS.sub("", "".join(unicodedata.normalize("NFKC", words).split()))
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    scale = Decimal(1)
    for unit, factor in (("亿", Decimal(10) ** 8), ("万", Decimal(10000))):
        head = text[: -len(unit)]
        if text.endswith(unit) and head and re.fullmatch(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九]+点[零〇一二两三四五六七八九]+", head):
            text, scale = head, factor   # 1.5万, 一点五万
            break
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text) * scale
    if not all(c in CN_NUMERALS for c in text) or not any(c in _CN_DIGIT_CHARS + "十" for c in text):
        return None
    import cn2an  # here, not at the top: it takes a third of a second to import, and most text has no number words

    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    try:
        return (Decimal(str(value)) * scale).normalize() if scale != 1 else Decimal(str(value))
    except InvalidOperation:
        return None


def has_figure(text: str) -> bool:
    """True when ``text`` holds a number, in digits or in words (三十, 百分之五)."""
    return bool(values(text))


def text_of(value: Decimal) -> str:
    """A Decimal as people write it: no exponent, no trailing zeros (``15230``, ``58.6``, ``0.5``)."""
    return format(value.normalize(), "f")


def _mixed_to_words(match: re.Match[str]) -> str:
    """Write digits mixed with unit words all in words (1万5 → 一万五, 4千 → 四千), so they are read as one number."""
    import cn2an   # see number()

    return re.sub(r"\d+", lambda d: cn2an.an2cn(d.group()), match.group())


def _span_to_digits(match: re.Match[str]) -> str:
    """Replace one run of number words by digits where it is a number in context, else leave it."""
    span, text, end = match.group(), match.string, match.end()
    follows = text[end:end + 1]
    before_measure = bool(follows) and follows in MEASURE_WORDS
    holds_unit = len(span) >= 2 and span[0] in _CN_DIGIT_CHARS + "十" and any(c in _CN_UNIT_CHARS for c in span)
    if not (before_measure or holds_unit):
        return span
    if span.startswith("点") or span.endswith("点"):
        return span
    value = number(span)
    if value is None:
        return span
    if span.endswith("万") and follows in "元户人":
        return text_of(value / 10000) + "万"   # 一万五千元 → 1.5万元 would lose nothing, but keep 万元 as a unit
    return text_of(value)


def to_digits(text: str, keep_wan: bool = False) -> str:
    """Rewrite the figures in ``text`` in one written form, leaving everything else as it is.

    NFKC first (full-width digits and ％ become ASCII), then: 百分之X → X%; number words → digits where they are a
    number (三十种 → 30种, 一千二 → 1200, 三千五块 → 3500元); X成 → X0% (两成 → 20%); 1.5万 → 15000 (1.5万元 keeps
    万元); 15号 → 15日; thousands separators and spaces inside a number dropped; a range of dates joined by 至
    (10月到12月 → 10月至12月). Letters are not lower-cased here (see :func:`bot.kernel.text.normalise`).

    Args:
        text: any text (a question, an answer, a cell).
    Returns:
        The text with figures rewritten; text without figures comes back NFKC-normalised and otherwise unchanged.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _RE_SPACES_IN_NUMBER.sub("", text)
    text = _RE_THOUSANDS.sub("", text)
    text = _RE_PERCENT_WORDS.sub(lambda m: text_of(number(m.group(1)) or Decimal(0)) + "%"
                                 if number(m.group(1)) is not None else m.group(), text)
    text = _RE_PERMILLE_WORDS.sub(lambda m: text_of(number(m.group(1)) / 10) + "%"
                                  if number(m.group(1)) is not None else m.group(), text)
    text = text.replace("一半", "50%").replace("百分之百", "100%").replace("百分百", "100%")
    text = _RE_MIXED.sub(_mixed_to_words, text)
    text = _RE_CN_SPAN.sub(_span_to_digits, text)
    text = _RE_TENTHS_AND.sub(lambda m: f"{int(m.group(1))}{number(m.group(2))}%", text)
    text = _RE_POINTS.sub(r"\1%", text)
    text = _RE_TENTHS.sub(lambda m: f"{int(m.group(1)) * 10}%" if int(m.group(1)) <= 10 else m.group(), text)
    if not keep_wan:
        text = _RE_WAN.sub(lambda m: text_of(Decimal(m.group(1)) * 10000), text)
    text = _RE_HAO.sub(r"\1日", text)
    text = _RE_KUAI.sub(r"\1元", text)
    text = _RE_RANGE.sub(r"\1至", text)
    return text


#: Unit words read after a figure, longest first.
UNIT_WORDS = ("万元", "万户", "万人", "万", "元", "户", "人", "名", "位", "个", "间", "家", "项", "%", "年", "月", "日",
              "分", "种", "次", "天")
_SAME_UNIT = {"人": {"人", "名", "位"}, "户": {"户", "家"}}
FIGURE_PATTERN = _RE_FIGURE = re.compile(rf"(?<![\da-zA-Z.])(\d+(?:\.\d+)?)({'|'.join(map(re.escape, UNIT_WORDS))})?")
_DATE_UNITS = ("年", "月", "日", "%")


@dataclass(frozen=True)
class Figure:
    """A figure found in text: ``value`` (Decimal) and the ``unit`` word written right after it (``""`` if none:
    ``户``, ``万元``, ``%``, ``月`` …)."""

    value: Decimal
    unit: str

    def in_unit(self, unit: str) -> Decimal | None:
        """Return the figure in ``unit`` (万 converted: 1.5万元 → 15000 for 元; 586000元 → 58.6 for 万元), the value
        itself when no unit was written, or None when another unit was written (320人 for a field in 户)."""
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

    @property
    def is_date_or_percent(self) -> bool:
        """True for a year, month, day or percentage (not a count or an amount)."""
        return self.unit in _DATE_UNITS


#: Units that count things: a count said with 个 (十五个) is the same count as 15人 or 15户.
COUNT_UNITS = frozenset(("个", "人", "名", "位", "户", "家", "项", "间", "种", "次"))


def same_figure(want: Figure, got: Figure) -> bool:
    """True when ``got`` states ``want``: the same value (0.50 = 0.5), and the same unit, an equivalent one (人 =
    名 = 位; 户 = 家; 1.5万元 = 15000元), 个 for any count, or no unit written on either side. Years, months, days
    and percentages must carry their own unit (3月 is not 3日).

    Args:
        want: the figure asked for (e.g. from a key point ``15人``).
        got: a figure read from an answer.
    """
    if want.is_date_or_percent or got.is_date_or_percent:
        return want.unit == got.unit and want.value == got.value
    if not want.unit or not got.unit:
        return want.value == got.value
    in_unit = got.in_unit(want.unit)
    if in_unit is not None:
        return in_unit == want.value
    return want.value == got.value and "个" in (want.unit, got.unit) and {want.unit, got.unit} <= COUNT_UNITS


def figures(text: str, dates: bool = False) -> list[Figure]:
    """Return the figures in ``text`` (after :func:`to_digits`), in order.

    Args:
        text: free text (``全村三百二十户一千二百人``, ``收入达到4000元以上``).
        dates: also return years, months, days and percentages (left out by default: a count or amount is asked).
    Returns:
        ``[Figure(Decimal("320"), "户"), Figure(Decimal("1200"), "人")]``.
    """
    out = []
    for m in _RE_FIGURE.finditer(to_digits(text, keep_wan=True)):
        figure = Figure(Decimal(m.group(1)), m.group(2) or "")
        if dates or not figure.is_date_or_percent:
            out.append(figure)
    return out


def figures_at(text: str) -> list[tuple[int, Figure]]:
    """Return each figure of ``text`` with where it starts, dates and percentages included. ``text`` must already be
    in the one written form (:func:`to_digits` with ``keep_wan=True``), so positions refer to it.

    Returns:
        ``[(0, Figure(Decimal("1000"), "元")), (7, Figure(Decimal("4000"), "元"))]`` for ``1000元的奖励4000元``.
    """
    return [(m.start(), Figure(Decimal(m.group(1)), m.group(2) or "")) for m in _RE_FIGURE.finditer(text)]


def single_figure(text: str) -> Figure | None:
    """Return the one figure that is the whole of ``text`` (a spreadsheet cell, a fill-in answer), or None.

    ``320``, ``320户``, ``三百二``, ``1.5万元``, ``15,230`` are one figure each; ``约320户左右`` or ``320户1260人``
    are not (the caller strips words it allows first).
    """
    plain = "".join(to_digits(text, keep_wan=True).split())
    spoken = number(plain.rstrip("".join(UNIT_WORDS)))
    if spoken is not None and not re.search(r"\d", plain):   # 三百二 alone, with no measure word after it
        unit = plain[len(plain.rstrip("".join(UNIT_WORDS))):]
        plain = text_of(spoken) + unit
    m = _RE_FIGURE.fullmatch(plain)
    return Figure(Decimal(m.group(1)), m.group(2) or "") if m else None


def values(text: str) -> list[Decimal]:
    """Return every number in ``text`` after :func:`to_digits`, dates and percentages included, as Decimals."""
    return [Decimal(n) for n in re.findall(NUMBER_PATTERN, to_digits(text))]


def same_numbers(text: str) -> str:
    """Return ``text`` (after :func:`to_digits`) with each number written by value (0.50 → 0.5, 4000.0 → 4000), so
    two texts that differ only in how a number is written compare equal."""
    return re.sub(NUMBER_PATTERN, lambda m: text_of(Decimal(m.group())), to_digits(text))
