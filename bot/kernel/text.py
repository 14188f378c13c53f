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

from .figures import to_digits


def normalise(text: str) -> str:
    """Return ``text`` in the one form used for matching: its figures in one written form
    (:func:`bot.kernel.figures.to_digits`: 百分之五十 → 50%, 三十种 → 30种, 15号 → 15日, 4000块 → 4000元), lower case.
    ``.`` and ``%`` inside numbers are kept."""
    return to_digits(text).lower()


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


ECHO_CHARS = 30


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """Return what a person typed, cut short for showing it back in a reply: at most ``limit`` characters
    (blanks squeezed), with "…" when cut. A name or village is never longer; a pasted page is not echoed whole."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
