"""Judging typed answers: fill-in numbers and dates, and mock-interview answers by the key points they cover.

Both compare after :func:`bot.core.text.normalise`, so 百分之零点五 = 0.5 % = ０.５％ and 10月28号 = 10月28日; key
points are also matched by sound (pinyin), so a homophone slip on a phone keyboard still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .models import InterviewQuestion, KeyPoint, QuizQuestion
from .text import normalise, syllable, tokens

_RE_NOISE = re.compile(r"[^\u4e00-\u9fff0-9a-z.%]+")
# Words around a figure that do not change it: "75%以上" answers "75%", "10月底前" answers "10月底".
_RE_QUALIFIER = re.compile(r"(以上|以下|之前|前|左右|大约|约|是|为|要|达到|不低于|低于|超过)")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")

#: A key point counts as covered when its pinyin scores at least this (0–100) against the answer.
KEY_POINT_FUZZY = 88


def _canon(text: str) -> str:
    return _RE_QUALIFIER.sub("", _RE_NOISE.sub("", normalise(text)))


def fillin_correct(question: QuizQuestion, typed: str) -> bool:
    """Return True when ``typed`` gives the fill-in question's answer (or one of its ``accept`` forms).

    Units may be left out (``4000`` for ``4000元``, ``75`` for ``75%``) and qualifiers like 以上/前 are ignored;
    the number itself must match exactly.
    """
    got = _canon(typed)
    if not got:
        return False
    for form in (question.answer_text, *question.accept):
        want = _canon(form)
        # The figure without its unit or noun counts: "4" or "4个" for "4个脱贫村", "0.5" for "0.5%".
        if got == want or (want.startswith(got) and _NUMBERS.findall(got) == _NUMBERS.findall(want)):
            return True
    return False


def _sounds(text: str) -> str:
    return "".join(syllable(t) if len(t) == 1 else t for t in tokens(normalise(text)))


def point_covered(point: KeyPoint, answer: str) -> bool:
    """Return True when ``answer`` (free text) makes ``point``: any of its wordings appears, by characters or,
    fuzzily, by sound."""
    plain = _RE_NOISE.sub("", normalise(answer))
    sounds = _sounds(answer)
    for form in (point.point, *point.accept):
        want = _RE_NOISE.sub("", normalise(form))
        if want and want in plain:
            return True
        want_sounds = _sounds(form)
        if len(want_sounds) >= 4 and len(sounds) >= len(want_sounds) and \
                fuzz.partial_ratio(want_sounds, sounds) >= KEY_POINT_FUZZY:
            return True
    return False


@dataclass(frozen=True)
class InterviewGrade:
    """The grade of one interview answer: ``covered`` and ``missed`` key points, ``score`` in 0–100."""

    covered: list[KeyPoint]
    missed: list[KeyPoint]

    @property
    def score(self) -> float:
        total = len(self.covered) + len(self.missed)
        return round(100 * len(self.covered) / total, 1) if total else 0.0


def grade_interview(question: InterviewQuestion, answer: str) -> InterviewGrade:
    """Grade a free-text interview ``answer`` by the key points of ``question`` it covers."""
    covered = [p for p in question.key_points if point_covered(p, answer)]
    missed = [p for p in question.key_points if p not in covered]
    return InterviewGrade(covered, missed)
