"""Judging typed answers: fill-in numbers and dates, and mock-interview answers by the key points they cover.

Both compare after :func:`bot.kernel.text.normalise`, so 百分之零点五 = 0.5 % = ０.５％ and 10月28号 = 10月28日; key
points are also matched by sound (pinyin), so a homophone slip on a phone keyboard still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.kernel import figures
from bot.kernel.models import InterviewQuestion, KeyPoint, QuizQuestion
from bot.kernel.text import normalise, syllable, tokens

_RE_NOISE = re.compile(r"[^\u4e00-\u9fff0-9a-z.%]+")
# Words around a figure that do not change it: "75%以上" answers "75%", "10月底前" answers "10月底". Words of
# direction (以上, 低于 …) are compared separately: "超过0.5%" does not answer "低于0.5%".
_RE_QUALIFIER = re.compile(r"(之前|前|左右|大约|约|是|为|要|达到)")
_RE_DIRECTION = re.compile(r"不低于|不超过|不高于|以上|以下|低于|超过|高于|至少|最多")
_NUMBERS = re.compile(figures.NUMBER_PATTERN)
_RE_CN_ONLY = re.compile(rf"^[{figures.CN_NUMERALS}]+$")
_RE_YEAR = re.compile(r"^\d{4}年")

#: A key point counts as covered when its pinyin scores at least this (0–100) against the answer.
KEY_POINT_FUZZY = 88


def _canon(text: str) -> tuple[str, set[str]]:
    """Return (the text without noise, qualifiers or direction words; its direction words)."""
    plain = _RE_NOISE.sub("", normalise(text))
    if _RE_CN_ONLY.match(plain):
        value = figures.number(plain)   # 三十 for 30种, 二百五十 for 250分
        plain = figures.text_of(value) if value is not None else plain
    directions = set(_RE_DIRECTION.findall(plain))
    return _RE_QUALIFIER.sub("", _RE_DIRECTION.sub("", plain)), directions


def _numbers(text: str) -> list:
    return figures.values(text)


def fillin_correct(question: QuizQuestion, typed: str) -> bool:
    """Return True when ``typed`` gives the fill-in question's answer (or one of its ``accept`` forms).

    The figure must match as a number (0.50% = 0.5%); its unit or noun may be left out (``4000`` for ``4000元``,
    ``4个`` for ``4个脱贫村``), and so may words before it (``50分`` for ``分值50分``) and a year before a date
    (``2021年10月28日`` for ``10月28日``). Qualifiers like 前 are ignored, but a direction word typed (以上, 低于 …)
    must be the answer's own. An answer without figures must be typed whole.
    """
    got, got_dir = _canon(typed)
    if not got:
        return False
    for form in (question.answer_text, *question.accept):
        want, want_dir = _canon(form)
        if got_dir - want_dir:
            continue
        if got == want:
            return True
        numbers = _numbers(want)
        if not numbers:
            continue
        core = want[_NUMBERS.search(want).start():]              # 分值50分 → 50分
        typed_core = _RE_YEAR.sub("", got) if not _RE_YEAR.match(want) else got
        if _numbers(typed_core) == numbers and (core.startswith(typed_core) or _numbers_only_prefix(typed_core, core)):
            return True
    return False


def _numbers_only_prefix(typed: str, want: str) -> bool:
    """True when ``typed`` equals ``want`` up to where ``typed`` ends, numbers compared by value (0.50 = 0.5)."""
    return figures.same_numbers(want).startswith(figures.same_numbers(typed))


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
    """The grade of one interview answer: ``covered`` and ``missed`` key points, ``score`` in 0–100, and
    ``too_long`` when the answer ran far past what the question needs (then the score is at most
    :data:`TOO_LONG_CAP`: reciting everything one knows is not answering the assessor)."""

    covered: list[KeyPoint]
    missed: list[KeyPoint]
    too_long: bool = False

    @property
    def score(self) -> float:
        total = len(self.covered) + len(self.missed)
        score = round(100 * len(self.covered) / total, 1) if total else 0.0
        return min(score, TOO_LONG_CAP) if self.too_long else score


#: An answer longer than this many times the model answer (and over :data:`LONG_ANSWER_CHARS`) is too long.
TOO_LONG_FACTOR = 4
LONG_ANSWER_CHARS = 300
TOO_LONG_CAP = 60.0


def too_long(answer: str, model_answer: str) -> bool:
    """True when ``answer`` is far longer than the question needs (see :class:`InterviewGrade`)."""
    return len(answer) > max(LONG_ANSWER_CHARS, TOO_LONG_FACTOR * len(model_answer))


def grade_interview(question: InterviewQuestion, answer: str) -> InterviewGrade:
    """Grade a free-text interview ``answer`` by the key points of ``question`` it covers."""
    covered = [p for p in question.key_points if point_covered(p, answer)]
    missed = [p for p in question.key_points if p not in covered]
    return InterviewGrade(covered, missed, too_long(answer, question.model_answer))
