"""Text normalisation for matching questions typed on a phone against the knowledge base.

Cadres type on pinyin keyboards: full-width digits (１０月１５日), numbers in words (百分之五十, 三十种), 号 for
日, homophone typos (检测/监测). Everything here is applied the same way to questions and to entries, so the
two meet in one form. Nothing here changes what a person is shown: answers are displayed as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUM = "零〇一二两三四五六七八九十百千万"

# A number in words counts as a number only before a unit or measure word, so 一般 and 统一 stay words.
_MEASURE = "个种项名户人月日号次场分元块年倍岁"
_RE_CN_NUMBER = re.compile(rf"([{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)(?=[{_MEASURE}])")
_RE_PERCENT_WORDS = re.compile(rf"百分之([{_CN_NUM}]+(?:点[{_CN_NUM}]+)?|\d+(?:\.\d+)?)")
_RE_HAO = re.compile(r"(\d+)号")
_RE_KUAI = re.compile(r"(\d+)块钱?")
_RE_SPACES_IN_NUMBER = re.compile(r"(?<=\d)\s+(?=[\d%.])|(?<=\d)\s+(?=[%])")


def cn_to_number(words: str) -> str:
    """Convert Chinese number words to Arabic digits, as text.

    Args:
        words: e.g. ``三十``, ``二十八``, ``一百五十``, ``四千``, ``零点五``, ``二〇二一``.
    Returns:
        e.g. ``"30"``, ``"28"``, ``"150"``, ``"4000"``, ``"0.5"``, ``"2021"``; the input unchanged when it is
        not a well-formed number.
    """
    whole, _, frac = words.partition("点")
    if frac and not all(c in _CN_DIGITS for c in frac):
        return words
    if whole and not (any(c in _CN_DIGITS for c in whole) or whole.startswith("十")):
        return words  # 万人, 百姓: a unit word alone is not a number
    if whole and all(c in _CN_DIGITS for c in whole) and len(whole) > 1:
        number = "".join(str(_CN_DIGITS[c]) for c in whole)   # 二〇二一 read digit by digit
    else:
        total, section, current = 0, 0, 0
        for c in whole:
            if c in _CN_DIGITS:
                current = _CN_DIGITS[c]
            elif c in _CN_UNITS:
                unit = _CN_UNITS[c]
                if unit == 10000:
                    total += (section + current) * unit
                    section = current = 0
                else:
                    section += (current or 1) * unit
                    current = 0
            else:
                return words
        number = str(total + section + current) if whole else "0"
    if frac:
        number += "." + "".join(str(_CN_DIGITS[c]) for c in frac)
    return number


def normalise(text: str) -> str:
    """Return ``text`` in the one form used for matching.

    NFKC (full-width digits, ％ and letters become ASCII), lower case, 百分之X → X%, 一半 → 50%, number words
    before a measure word → digits (三十种 → 30种), 15号 → 15日, 4000块 → 4000元, spaces inside numbers removed. ``.`` and ``%``
    inside numbers are kept.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _RE_SPACES_IN_NUMBER.sub("", text)
    text = _RE_PERCENT_WORDS.sub(lambda m: (cn_to_number(m.group(1)) if not m.group(1)[0].isdigit()
                                            else m.group(1)) + "%", text)
    text = text.replace("一半", "50%")
    text = _RE_CN_NUMBER.sub(lambda m: cn_to_number(m.group(1)), text)
    text = _RE_HAO.sub(r"\1日", text)
    text = _RE_KUAI.sub(r"\1元", text)  # 4000块 is how 4000元 is said
    return text


# Fuzzy initials and finals many pinyin keyboards offer (模糊音): southern speakers merge them when typing.
_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"))


@lru_cache(maxsize=20000)
def syllable(char: str) -> str:
    """Return the toneless pinyin of one character (fuzzy zh/z, ch/c, sh/s, -ng/-n merged); other text as is."""
    if not ("\u4e00" <= char <= "\u9fff"):
        return char
    s = lazy_pinyin(char, style=Style.NORMAL)[0]
    for a, b in _FUZZY:
        if s.startswith(a):
            s = b + s[len(a):]
            break
    if s.endswith("ng") and len(s) > 2:
        s = s[:-1]
    return s


def is_cjk(char: str) -> bool:
    """Return True for a CJK unified ideograph."""
    return "\u4e00" <= char <= "\u9fff"


_RE_TOKEN = re.compile(r"[\u4e00-\u9fff]|\d+(?:\.\d+)?%?|[a-z]+")


def tokens(segment: str) -> list[str]:
    """Split normalised text into tokens: one per Chinese character, one per number (``0.5%``) or ASCII word."""
    return _RE_TOKEN.findall(segment)


def has_content(text: str) -> bool:
    """Return True when ``text`` holds at least one letter, digit or Chinese character (not only emoji/punctuation)."""
    return any(ch.isalnum() for ch in unicodedata.normalize("NFKC", text))
