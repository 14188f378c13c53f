"""Judging typed answers: fill-in numbers and dates, and mock-interview answers by the key points they cover.

Figures are read by :mod:`bot.kernel.figures` and compared as values (百分之零点五 = 0.5 % = ０.５％;
10月28号 = 10月28日; 十五个 = 15人) before anything is matched by sound.

A key point is credited the way a careful assessor credits it (:func:`point_covered`): within one clause of the
answer (split at ，。；！？ and line ends), most of the point's content words are said — in any order, in the
point's words, in an ordinary synonym (``knowledge/interview_synonyms.yaml``) or by sound (a homophone slip on a
phone keyboard) — every figure of the point is said in that clause with its value, and the clause does not negate
it (没有, 不, 未, 无需 … in the clause, unless the point itself is worded with one). Words that change nothing
(要, 已经, 均, 都, 的 …) are left out of the point's words.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.kernel import figures
from bot.kernel.models import InterviewQuestion, KeyPoint, QuizQuestion
from bot.kernel.text import normalise, syllable

_RE_NOISE = re.compile(r"[^\u4e00-\u9fff0-9a-z.%]+")
# Words around a figure that do not change it: "75%以上" answers "75%", "10月底前" answers "10月底". Words of
# direction (以上, 低于 …) are compared separately: "超过0.5%" does not answer "低于0.5%".
_RE_QUALIFIER = re.compile(r"(之前|前|左右|大约|约|是|为|要|达到)")
_RE_DIRECTION = re.compile(r"不低于|不超过|不高于|以上|以下|低于|超过|高于|至少|最多")
_NUMBERS = re.compile(figures.NUMBER_PATTERN)
_RE_CN_ONLY = re.compile(rf"^[{figures.CN_NUMERALS}]+$")
_RE_YEAR = re.compile(r"^\d{4}年")

SYNONYMS_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "interview_synonyms.yaml"


def _canon(text: str) -> tuple[str, set[str]]:
    """Return (the text without noise, qualifiers or direction words; its direction words)."""
    plain = _RE_NOISE.sub("", normalise(text))
    if _RE_CN_ONLY.match(plain):
        value = figures.number(plain)   # 三十 for 30种, 二百五十 for 250分
        plain = figures.text_of(value) if value is not None else plain
    directions = set(_RE_DIRECTION.findall(plain))
    return _RE_QUALIFIER.sub("", _RE_DIRECTION.sub("", plain)), directions


def fillin_correct(question: QuizQuestion, typed: str) -> bool:
    """Return True when ``typed`` gives the fill-in question's answer (or one of its ``accept`` forms).

    The figure must match as a number (0.50% = 0.5%); its unit or noun may be left out (``4000`` for ``4000元``,
    ``4个`` for ``4个脱贫村``), and so may words before it (``50分`` for ``分值50分``) and a year before a date
    (``2021年10月28日`` for ``10月28日``). Qualifiers like 前 are ignored, but a direction word typed (以上, 低于 …)
    must be the answer's own. A range may be written with 到, 至, ～ or -. An answer without figures must be typed
    whole.
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
        numbers = figures.values(want)
        if not numbers:
            continue
        core = want[_NUMBERS.search(want).start():]              # 分值50分 → 50分
        typed_core = _RE_YEAR.sub("", got) if not _RE_YEAR.match(want) else got
        if figures.values(typed_core) == numbers and \
                (core.startswith(typed_core) or _numbers_only_prefix(typed_core, core)):
            return True
    return False


def _numbers_only_prefix(typed: str, want: str) -> bool:
    """True when ``typed`` equals ``want`` up to where ``typed`` ends, numbers compared by value (0.50 = 0.5)."""
    return figures.same_numbers(want).startswith(figures.same_numbers(typed))


# ── key points ──────────────────────────────────────────────────────────────────────────────────────────────
#: Words of a key point that change nothing about what must be said.
IGNORED_WORDS = frozenset("要 已经 已 均 都 的 地 得 和 及 与 或 等 了 共 并 且 在 是 也 为 全力 每个 各 其中 之 "
                          "进行 开展 情况 做好 确保".split())
#: Words that negate what follows in their clause.
NEGATIONS = ("没有", "没", "不", "未", "无需", "无", "别", "非", "免")
#: Words that hold a negation character without negating (不断 = continually; 无论 = whatever).
NOT_NEGATIONS = ("不断", "不仅", "不少", "不管", "无论", "没多久", "不光", "差不多", "不折不扣", "了不起")
#: Share of a point's content words that must be said in one clause (rounded up).
CONTENT_SHARE = 2 / 3
_RE_CLAUSE = re.compile(r"[，,。；;！!？?\n：:（）()]+")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Read ``knowledge/interview_synonyms.yaml``: (word → its synonym group, word → the other words of its
    contrast set). Raises ValueError when ``groups`` or ``contrasts`` is not a list of lists of words."""
    data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) if SYNONYMS_FILE.is_file() else {}
    out: list[dict[str, frozenset[str]]] = []
    for key in ("groups", "contrasts"):
        sets = (data or {}).get(key, [])
        if not isinstance(sets, list) or not all(isinstance(g, list) and all(isinstance(w, str) for w in g)
                                                 for g in sets):
            raise ValueError(f"{SYNONYMS_FILE}: expected `{key}:` a list of lists of words")
        table: dict[str, frozenset[str]] = {}
        for group in sets:
            for w in group:
                table[w] = table.get(w, frozenset()) | frozenset(group)
        out.append(table)
    return out[0], {w: others - {w} for w, others in out[1].items()}


def synonym_groups() -> dict[str, frozenset[str]]:
    """Return word → the words of its synonym group (itself included), from ``knowledge/interview_synonyms.yaml``."""
    return _lexicon()[0]


@lru_cache(maxsize=1)
def _segmenter():
    import jieba  # here: loading its dictionary takes about a second, and only interview grading needs it

    jieba.setLogLevel(logging.WARNING)
    groups, contrasts = _lexicon()
    data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) if SYNONYMS_FILE.is_file() else {}
    for word in (*groups, *contrasts, *((data or {}).get("words") or [])):
        jieba.add_word(str(word))
    return jieba


@dataclass(frozen=True)
class _Form:
    """One wording of a key point: its content words, its figures and whether it is itself worded negatively."""

    words: tuple[str, ...]
    figures: tuple[figures.Figure, ...]
    negative: bool
    contrasts: tuple[str, ...]


@lru_cache(maxsize=4096)
def _form(text: str) -> _Form:
    plain = figures.to_digits(normalise(text), keep_wan=True)
    found = tuple(figures.figures(plain, dates=True))
    no_figures = figures.FIGURE_PATTERN.sub(" ", plain)
    words = []
    for w in _segmenter().lcut(_RE_NOISE.sub(" ", no_figures)):
        w = w.strip()
        if w and w not in IGNORED_WORDS and not w.isdigit() and w not in figures.UNIT_WORDS and w not in words:
            words.append(w)
    negative = any(_negation_at(plain, i) for i in range(len(plain)))
    contrasts = tuple(w for w in _lexicon()[1] if w in plain)
    return _Form(tuple(words), found, negative, contrasts)


def _negation_at(text: str, i: int) -> bool:
    """True when a negation word starts at ``text[i]`` and is not part of a word that does not negate."""
    if not any(text.startswith(n, i) for n in NEGATIONS):
        return False
    return not any(text.startswith(x, j) for x in NOT_NEGATIONS for j in range(max(0, i - len(x) + 1), i + 1)
                   if j + len(x) > i)


def _sounds(text: str) -> str:
    return " ".join(syllable(c) for c in text if "\u4e00" <= c <= "\u9fff")


def _word_at(word: str, clause: str, clause_sounds: str) -> int | None:
    """Where ``word`` is said in ``clause`` (its position, or 0 when said only by sound), or None: as written, as a
    synonym, by sound, or (a two-character word) with its two characters in the other order or apart (挂牌 in
    牌子挂好了)."""
    for w in synonym_groups().get(word, frozenset((word,))) | {word}:
        at = clause.find(w)
        if at >= 0:
            return at
    if len(word) >= 2 and f" {_sounds(word)} " in f" {clause_sounds} ":
        return 0
    if len(word) == 2 and word[0] in clause and word[1] in clause:
        return min(clause.find(word[0]), clause.find(word[1]))
    return None


def _comparable(want: figures.Figure, got: figures.Figure) -> bool:
    """True when ``got`` is a figure of the same kind as ``want`` (both dates of one unit, both amounts, counts …)."""
    if want.is_date_or_percent or got.is_date_or_percent:
        return want.unit == got.unit
    return want.in_unit(got.unit) is not None or got.in_unit(want.unit) is not None or \
        {want.unit, got.unit} <= figures.COUNT_UNITS


def _figures_right(wanted: tuple[figures.Figure, ...], said: list[tuple[int, figures.Figure]],
                   anchors: list[int]) -> bool:
    """True when each wanted figure is said, and is the figure of its kind said nearest the point's words (so in
    产业收入达到1000元，奖励4000元 the 4000元 does not make 产业收入达到4000元)."""
    for want in wanted:
        if not any(figures.same_figure(want, got) for _, got in said):
            return False
        kin = [(at, got) for at, got in said if _comparable(want, got)]
        if anchors and len({got for _, got in kin}) > 1:
            nearest = min(kin, key=lambda item: min(abs(item[0] - a) for a in anchors))[1]
            if not figures.same_figure(want, nearest) and not any(
                    figures.same_figure(w, nearest) for w in wanted):
                return False
    return True


def _form_covered(form: _Form, clauses: list[str], point: _Form) -> bool:
    wanted = form.figures or point.figures
    contrasts = set(form.contrasts) | set(point.contrasts)
    if not form.words:
        # A point that is only figures (150户, 11月1日至3日): each figure said somewhere in the answer.
        said = [f for c in clauses for f in figures.figures(c, dates=True)]
        return bool(wanted) and all(any(figures.same_figure(f, g) for g in said) for f in wanted)
    needed = math.ceil(len(form.words) * CONTENT_SHARE - 1e-9)
    for clause in clauses:
        sounds = _sounds(clause)
        where = [at for at in (_word_at(w, clause, sounds) for w in form.words) if at is not None]
        if len(where) < needed:
            continue
        if any(w not in clause and any(other in clause for other in _lexicon()[1][w]) for w in contrasts):
            continue
        if not _figures_right(wanted, figures.figures_at(clause), where):
            continue
        if not form.negative and any(_negation_at(clause, i) for i in range(len(clause))):
            continue
        return True
    return False


def _clauses(answer: str) -> list[str]:
    text = figures.to_digits(unicodedata.normalize("NFKC", answer), keep_wan=True).lower()
    return [c for c in (_RE_NOISE.sub("", part) for part in _RE_CLAUSE.split(text)) if c]


def point_covered(point: KeyPoint, answer: str) -> bool:
    """Return True when ``answer`` (free text) makes ``point`` in the point's or one of its ``accept`` wordings,
    as described in the module docstring: content words in any order or ordinary synonyms or by sound, every figure
    right by value in the same clause (an ``accept`` wording without figures still needs the point's), not negated,
    and no word of a contrast set of the point swapped for another (秋季 for 春季)."""
    clauses = _clauses(answer)
    whole = _form(point.point)
    return any(_form_covered(_form(text), clauses, whole) for text in (point.point, *point.accept))


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
