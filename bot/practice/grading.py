"""Judging typed answers: fill-in numbers and dates, and mock-interview answers by the key points they cover.

Figures are read by :mod:`bot.kernel.figures` and compared as values (百分之零点五 = 0.5 % = ０.５％;
10月28号 = 10月28日; 十五个 = 15人) before anything is matched by sound.

A key point is credited the way a careful assessor credits it (:func:`point_covered`): within one clause of the
answer (split at ，。；！？ and line ends), enough of the point's content words (cut by jieba, each weighted by its
idf in general text, so 落实 or 工作 tell less than 挂牌) are said — in any order, in the point's words, in an
ordinary synonym (``knowledge/interview_synonyms.yaml``) or by sound (a homophone slip on a phone keyboard); every
figure of the point is said with its value and is the figure of its kind nearest the point's words (a clause without
figures runs on to the next clause of its sentence that has one); comparisons agree (不低于, 不能比…低, 以上 are one
≥); and the clause negates exactly when the point does (没有, 不, 未 … outside the point's own words; 有没有, 是不是,
一户不漏 do not negate; a negation bears only on what it modifies: not inside a modifier 未消除的监测对象, a problem
watched for 关注…没有…问题, a question 有没有…没纳入的, or an earlier item of a 、 list). Words that change nothing
(要, 已经, 均, 都, 的 …) are left out of the point's words. A shorter ``accept`` wording (访谈15人, 75%) counts only in
the clause where the point's own words are said best.

An answer is read twice: as typed, and with the shared lexicon's everyday phrases (``knowledge/lexicon.yaml``:
搬进去住 → 竣工入住) replaced by the plan's words when the replacement keeps their sense. Nothing may take the point
back (:func:`_contradicted`): a neighbouring clause negating its words, a waving-away (就算了, 没关系), a short
denial after it (我们村做不到), a question answered 没有; naming a harm the point averts is not averting it
(季节性缺水断水经常发生); and an answer about another part of the plan (asked about 产业, a passage on 就业) earns
nothing (:func:`off_topic`).

Why this module is long: fill-in judging and key-point grading share the figure handling and the canonical text
form; split apart, each would re-implement half of the other.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from bot.kernel import figures
from bot.kernel.models import InterviewQuestion, KeyPoint, NonEmpty, QuizQuestion, Strict
from bot.kernel.text import normalise, syllable
from bot.kernel.yamlfile import load_model

_RE_NOISE = re.compile(r"[^\u4e00-\u9fff0-9a-z.%]+")
# Words around a figure that do not change it: "75%以上" answers "75%", "10月底前" answers "10月底". Words of
# direction (以上, 低于 …) are compared separately: "超过0.5%" does not answer "低于0.5%".
_RE_QUALIFIER = re.compile(r"(之前|前|左右|大约|约|是|为|要|达到)")
_RE_DIRECTION = re.compile(r"不低于|不超过|不高于|以上|以下|低于|超过|高于|至少|最多")
_NUMBERS = re.compile(figures.NUMBER_PATTERN)
_RE_CN_ONLY = re.compile(rf"^[{figures.CN_NUMERALS}]+$")
_RE_YEAR = re.compile(r"^\d{4}年")

SYNONYMS_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "interview_synonyms.yaml"
#: The project's everyday-words lexicon (everyday phrase → the plan's concept), shared with the Q&A.
LEXICON_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "lexicon.yaml"


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
                          "进行 开展 情况 做好 确保 至 达到 底 底前 前".split())
#: Words that negate what follows in their clause (a key point's polarity and an answer's).
NEGATIONS = ("没有", "没", "不", "未", "无需", "无", "别", "杜绝", "禁止", "严禁", "避免")
#: Words that hold a negation character without negating (不断 = continually; 无论 = whatever; 一户不漏 = all).
#: (应对不了, 住不进 and 交不起 do negate: what cannot be done is not done.)
NOT_NEGATIONS = ("不断", "不仅", "不但", "不少", "不管", "无论", "没多久", "不光", "差不多", "不折不扣", "了不起",
                 "不漏", "不落", "不愁", "非常", "少不了", "免不了", "离不了", "忘不了", "错不了", "对不起", "忍不住",
                 "禁不住", "不动产", "不能漏", "不能少", "不能落", "个别", "不放过", "有无", "没关系", "无所谓")
#: Share of a point's content (its words weighted by how telling they are, see :func:`_weight`) that one clause of
#: the answer must say.
CONTENT_SHARE = 0.55
_RE_CLAUSE = re.compile(r"[，,。；;！!？?\n：:（）()]+")
#: Most clauses a clause without figures runs on to find its figure.
RUN_ON = 4
_NEG = r"(?:不能|不得|不要|不会|不可|不应|不)"
_THAN = r"(?<![无对])比(?!例|较|如)([^，,。；;！!？?\s]{1,12}?)"
#: Comparisons written in one form each, for points and answers alike: ≥ (不低于, 不少于, 不能比…低, 以上, 至少),
#: ≤ (低于, 少于, 以下, 以内, 不超过, 不能比…高), ≻ (高于, 超过, 多于, 比…高). So 比例不能比去年低 says 不低于上年度.
_DIRECTIONS = (
    (re.compile(_NEG + _THAN + r"(?:低|少)"), r"≥\1"),
    (re.compile(_NEG + _THAN + r"(?:高|多)"), r"≤\1"),
    (re.compile(_NEG + r"(?:低于|少于)"), "≥"),
    (re.compile(_NEG + r"(?:超过|高于|多于)"), "≤"),
    (re.compile(_THAN + r"(?:低|少)"), r"≤\1"),
    (re.compile(_THAN + r"(?:高|多)"), r"≻\1"),
    (re.compile(r"以上|至少|最少|起码"), "≥"),
    (re.compile(r"低于|少于|以下|以内"), "≤"),
    (re.compile(r"高于|超过|多于"), "≻"),
)
_RE_NOISE_POINT = re.compile(r"[^\u4e00-\u9fff0-9a-z.%≥≤≻⩾]+")
#: An answer's clause keeps its 、: a negation bears only on the item of a list it stands in (收入有没有变化、
#: 风险消除了、有没有该纳入没纳入的: the last item's 没 says nothing of the first).
_RE_NOISE_CLAUSE = re.compile(r"[^\u4e00-\u9fff0-9a-z.%≥≤≻⩾、]+")
#: A target said in an answer (要90%): an "at least" that answers a comparison with a figure (90%以上), never one
#: with a reference (不低于全省平均值 is not 要达到100%).
TARGET = "⩾"
#: In an answer, a figure said as a target (要90%, 达到75%, 要达到百分之九十) is one to reach: at least that much.
_RE_TARGET = re.compile(r"(?:要达到|要达|达到|要)(?=\d)")


def _canonical(text: str, answer: bool = False) -> str:
    """Text in the one form points and answers are compared in: figures in digits (:func:`figures.to_digits`),
    lower case, comparisons as ≥ ≤ ≻, punctuation kept (it cuts clauses). In an ``answer``, a target figure
    (要90%, 达到75%) is an "at least" (≥) unless a comparison is said with it."""
    text = figures.to_digits(unicodedata.normalize("NFKC", text), keep_wan=True).lower()
    for rx, repl in _DIRECTIONS:
        text = rx.sub(repl, text)
    if answer:
        text = _RE_TARGET.sub(lambda m: m.group() if re.match(r"[\d.%]*[^\d.%]{0,2}[≤≻]", text[m.end():]) else TARGET,
                              text)
    return text


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Read ``knowledge/interview_synonyms.yaml`` (:func:`load_synonyms`): (word → its synonym group, word → the
    other words of its contrast set, word → the other words of its topic set). Raises
    :class:`bot.kernel.yamlfile.DataFileError` (file, line and field of each problem) when the file is malformed."""
    data = load_synonyms().model_dump()
    out: list[dict[str, frozenset[str]]] = []
    for key in ("groups", "contrasts", "topics"):
        sets = data[key]
        table: dict[str, frozenset[str]] = {}
        for group in sets:
            if key != "groups":   # compared with answers in their canonical form (每两个月 → 每2个月)
                group = [_canonical(w) for w in group]
            for w in group:
                table[w] = table.get(w, frozenset()) | frozenset(group)
        out.append(table)
    return out[0], *({w: others - {w} for w, others in table.items()} for table in out[1:])


class SynonymsFile(Strict):
    """``knowledge/interview_synonyms.yaml``: ``groups`` of words that mean the same in an answer, ``contrasts``
    (sets whose words cannot stand in for one another), ``topics`` (parts of the plan that answer different
    questions) and ``words`` (terms jieba must keep whole)."""

    groups: list[list[NonEmpty]] = Field(default_factory=list)
    contrasts: list[list[NonEmpty]] = Field(default_factory=list)
    topics: list[list[NonEmpty]] = Field(default_factory=list)
    words: list[NonEmpty] = Field(default_factory=list)


def load_synonyms(path: Path = SYNONYMS_FILE) -> SynonymsFile:
    """Load and check the synonyms file (an absent file is empty). Raises DataFileError naming file, line, field."""
    if not path.is_file():
        return SynonymsFile()
    return load_model(path, SynonymsFile, "knowledge/interview_synonyms.yaml" if path == SYNONYMS_FILE else None)


def synonym_groups() -> dict[str, frozenset[str]]:
    """Return word → the words of its synonym group (itself included), from ``knowledge/interview_synonyms.yaml``."""
    return _lexicon()[0]


@lru_cache(maxsize=1)
def _segmenter():
    import jieba  # here: loading its dictionary takes about a second, and only interview grading needs it

    jieba.setLogLevel(logging.WARNING)
    groups, contrasts, _ = _lexicon()
    # The plan's two-character terms (必抽: not 户|必|抽); longer ones stay cut, so a part of one can be said alone.
    concepts = {concept for _, concept in _everyday_words().pairs if len(concept) == 2}
    for word in (*groups, *contrasts, *load_synonyms().words, *concepts):
        jieba.add_word(str(word))
    for verb in _RE_AVERT.pattern.split("|"):   # 能有效|应对, not 能有|效应|对
        jieba.add_word(verb, freq=max(jieba.get_FREQ(verb) or 0, 50000))
    return jieba


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's inverse document frequencies of general Chinese text (word → idf) and their median."""
    import jieba.analyse

    _segmenter()
    table = jieba.analyse.default_tfidf
    return table.idf_freq, table.median_idf


def _weight(word: str) -> float:
    """How telling a word of a point is: its idf in general text (落实 or 工作 tell little, 农业农村局 or 挂牌 a
    lot); a word jieba does not know (a term of the plan) counts as a rare word; a comparison (≥ ≤ ≻) as a telling
    word."""
    if word in "≥≤≻":
        return 8.0
    idf, median = _idf()
    return max(idf.get(word, UNKNOWN_WORD_WEIGHT), 2.0)


#: The weight of a word jieba's frequencies do not hold (a term of the plan: 乡村振兴, 帮扶联系人), about that of a
#: rare word.
UNKNOWN_WORD_WEIGHT = 10.0


@dataclass(frozen=True)
class _Form:
    """One wording of a key point: its content words with their weights, its figures, whether it is itself worded
    negatively (an odd number of negations), the words of contrast sets it holds, and the words it names as a harm
    to avert (应对…断水, 防止返贫: saying 不会断水 agrees with the point)."""

    words: tuple[str, ...]
    weights: tuple[float, ...]
    figures: tuple[figures.Figure, ...]
    negative: bool
    contrasts: tuple[str, ...]
    averted: frozenset[str] = frozenset()


#: Verbs that name a harm to avert after them (应对季节性缺水断水, 防止返贫, 消除风险).
_RE_AVERT = re.compile(r"应对|防止|防范|解决|消除|减少|化解")   # (避免, 杜绝 are negations: the point is negative)
#: Nouns that make 防止…/消除… the name of a thing (防止规模性返贫工作预案, 防止返贫监测机制), not a harm averted.
_RE_NAMED = re.compile(r"预案|机制|专班|方案|小组|措施|政策|工作")
#: How far after such a verb its harm may be named (应对季节性缺水断水: 断水 is 5 characters on).
AVERT_REACH = 6


#: 不X不放过, 不X不罢休: "until X" — the negations say no denial.
_RE_UNTIL = re.compile(r"不[^不，,。；;]{1,4}不(?:放过|罢休|收兵)")


#: 关注/排查…问题: what follows names a problem to watch for; its negations describe the problem (also across
#: the commas of one sentence: 重点关注…因退休、工作调整等，单位没有及时安排人员衔接问题).
_RE_PROBLEM = re.compile(r"(?:关注|排查|纠正|查找)[^。；;!?！？\n]{0,40}?(?:问题|现象)")
#: A question inside an answer (有没有该纳入没纳入的, 是不是真的没有了, 三保障做到没有): its negations ask, they
#: deny nothing.
_RE_ASKING = re.compile(r"(?:有没有|是不是|是否|能不能|会不会)[^、，,。；;]*"
                        r"|[^、，,。；;]*(?:到|了|过|好)没有(?=[、，,。；;]|$)")
#: A negation inside a modifier: 未消除的监测对象, 没有劳动能力的人 (a 的 within a few characters, then a noun).
_RE_MODIFIER = re.compile(r"(?:没有|没|不|未|无)[^，,。；;的不没未无]{1,4}的(?=[\u4e00-\u9fff])(?!话)")


def _negations(text: str, skip: list[tuple[int, int]] = ()) -> list[int]:
    """Where ``text`` negates: the start of each negation word that is not part of a word that does not negate
    (:data:`NOT_NEGATIONS`), not an A-not-A question (有没有, 是不是, 消没消除), not in 不…不放过 (问题不找准不放过:
    no letting go until it is found), not inside a question (有没有该纳入没纳入的), not describing a problem to
    watch for (重点关注…未及时纳入监测问题), not in a
    modifier (风险未消除的监测对象: the negation says which ones, it denies nothing) and not inside a span of
    ``skip``."""
    out = []
    skip = [*skip, *(m.span() for rx in (_RE_UNTIL, _RE_PROBLEM, _RE_ASKING) for m in rx.finditer(text))]
    for i in range(len(text)):
        if not _negation_at(text, i) or any(s <= i < e for s, e in skip):
            continue
        if _RE_MODIFIER.match(text, i):
            continue
        if 0 < i < len(text) - 1 and text[i] in "不没" and (text[i - 1] == text[i + 1] or text[i - 1:i + 2] == "有没有"):
            continue
        if out and text.startswith(text[out[-1]:i + 1], out[-1]) and i - out[-1] < 2 and \
                any(text.startswith(n, out[-1]) and len(n) > i - out[-1] for n in NEGATIONS):
            continue   # 没有, 无需: one negation
        out.append(i)
    return out


def _whole_all_who_should(cut: list[str]) -> list[str]:
    """jieba's cut with 应X + 尽X joined into one word (应签尽签: said as the verb and "every one")."""
    out: list[str] = []
    for w in cut:
        if out and _RE_ALL_WHO_SHOULD.match(out[-1] + w):
            out[-1] += w
        else:
            out.append(w)
    return out


def _negation_length(text: str, i: int) -> int:
    """The length of the negation word starting at ``text[i]`` (没有: 2, 不: 1)."""
    return max((len(n) for n in NEGATIONS if text.startswith(n, i)), default=1)


def _without_negations(text: str) -> str:
    """``text`` with its negation words left out (inside a problem to watch for, see :data:`_RE_PROBLEM`)."""
    chars, i = list(text), 0
    while i < len(text):
        if _negation_at(text, i):
            length = _negation_length(text, i)
            chars[i:i + length] = [""] * length
            i += length
        else:
            i += 1
    return "".join(chars)


@lru_cache(maxsize=4096)
def _form(text: str) -> _Form:
    plain = _canonical(text)
    found = tuple(figures.figures(plain, dates=True))
    no_figures = figures.FIGURE_PATTERN.sub(" ", plain)
    negs = _negations(no_figures)
    chars = list(no_figures)
    for i in negs:
        length = max(len(n) for n in NEGATIONS if no_figures.startswith(n, i))
        chars[i:i + length] = " " * length
    words: list[str] = []
    for w in _whole_all_who_should(_segmenter().lcut(_RE_NOISE_POINT.sub(" ", "".join(chars)))):
        w = w.strip()
        if w and w not in IGNORED_WORDS and not w.isdigit() and w not in figures.UNIT_WORDS and w not in words:
            words.append(w)
    contrasts = tuple(w for w in _lexicon()[1] if w in plain)
    averted = frozenset(w for w in words for m in _RE_AVERT.finditer(plain)
                        if 0 <= plain.find(w, m.end()) - m.end() <= AVERT_REACH
                        and not _RE_NAMED.search(plain, m.end()))
    return _Form(tuple(words), tuple(_weight(w) for w in words), found, bool(negs), contrasts, averted)


def _negation_at(text: str, i: int) -> bool:
    """True when a negation word starts at ``text[i]`` and is not part of a word that does not negate."""
    if not any(text.startswith(n, i) for n in NEGATIONS):
        return False
    return not any(text.startswith(x, j) for x in NOT_NEGATIONS for j in range(max(0, i - len(x) + 1), i + 1)
                   if j + len(x) > i)


def _sounds(text: str) -> str:
    return " ".join(syllable(c) for c in text if "\u4e00" <= c <= "\u9fff")


def _word_at(word: str, clause: str, clause_sounds: str) -> tuple[int, int] | None:
    """Where ``word`` is said in ``clause`` (its span; ``(0, 0)`` when said only by sound), or None: as written, as a
    synonym, by sound, or (a two-character word) with its two characters in the other order or apart (挂牌 in
    牌子挂好了)."""
    for w in sorted(synonym_groups().get(word, frozenset((word,))) | {word}, key=len, reverse=True):
        at = clause.find(w)
        if at >= 0:
            return at, at + len(w)
    if len(word) >= 2 and word[0] not in "≥≤≻" and f" {_sounds(word)} " in f" {clause_sounds} ":
        return 0, 0
    all_of = _RE_ALL_WHO_SHOULD.match(word)
    if all_of:
        # 应签尽签 said as 都要签上，一个不漏: the verb and a word for "every one"
        at = clause.find(all_of.group(1))
        if at >= 0 and _RE_EVERY.search(clause):
            return at, at + 1
    stem = _stem(word)
    if stem is not None:
        return _word_at(stem, clause, clause_sounds)
    if len(word) >= 3 and word[-1] in _HOUSEHOLD:
        # 重病户 said as 得了重病的户 / 重病的农户: the kind, then the household within a few characters
        m = re.search(re.escape(word[:-1]) + r"[^，,。；;]{0,3}?" + f"[{_HOUSEHOLD}]", clause)
        if m:
            return m.start(), m.end()
    if len(word) == 2:
        # 挂了牌 (one character between), 牌子挂好了 (the other order, apart: 户贷 is another word than 贷户)
        for a in (i for i, c in enumerate(clause) if c == word[0]):
            if clause[a + 2:a + 3] == word[1] and clause[a + 1] not in "不没未无别":
                return a, a + 3
            b = clause.rfind(word[1], max(0, a - 3), a - 1)
            if b >= 0:
                return b, a + 1
    return None


#: 应纳尽纳, 应签尽签, 应治尽治: everyone who should be X-ed is.
_RE_ALL_WHO_SHOULD = re.compile(r"^应(.)尽\1$")
#: Words for "every one" that say 应X尽X with the verb X (都要签上，一个不漏).
_RE_EVERY = re.compile(r"一个不漏|一户不漏|一人不漏|一个都不漏|一个都不能少|一户都不能少|全部|所有|全都|都要|都得"
                       r"|一个不落|一户不落")
#: Characters that name a household at the end of a word (重病户, 脱贫家庭).
_HOUSEHOLD = "户家"
#: Endings that make an abstract noun of a word a cadre says plainly (延续性 → 延续, 可持续性 → 可持续).
_NOUN_ENDINGS = ("性",)


def _stem(word: str) -> str | None:
    """The plain word inside an abstract noun (延续性 → 延续), or None."""
    for end in _NOUN_ENDINGS:
        if len(word) >= 3 and word.endswith(end):
            return word[:-len(end)]
    return None


def _comparable(want: figures.Figure, got: figures.Figure) -> bool:
    """True when ``got`` is a figure of the same kind as ``want`` (both dates of one unit, both amounts, counts …)."""
    if want.is_date_or_percent or got.is_date_or_percent:
        return want.unit == got.unit
    return want.in_unit(got.unit) is not None or got.in_unit(want.unit) is not None or \
        {want.unit, got.unit} <= figures.COUNT_UNITS


def _distance(at: int, spans: list[tuple[int, int]]) -> float:
    """How far a figure at ``at`` is from the nearest span; a figure before its words counts half a step further
    (产业收入达到1000元的奖励4000元: the 4000元 is 奖励's)."""
    return min((s - at + 0.5) if at < s else max(0, at - e) for s, e in spans)


def _figures_right(wanted: tuple[figures.Figure, ...], said: list[tuple[int, figures.Figure]],
                   anchors: list[tuple[int, int]]) -> bool:
    """True when each wanted figure is said, and is the figure of its kind said nearest the point's words (so in
    产业收入达到1000元，奖励4000元 the 4000元 does not make 产业收入达到4000元)."""
    anchors = [a for a in anchors if a != (0, 0)]
    for want in wanted:
        if not any(figures.same_figure(want, got) for _, got in said):
            return False
        kin = [(at, got) for at, got in said if _comparable(want, got)]
        if anchors and len({got for _, got in kin}) > 1:
            nearest = min(kin, key=lambda item: _distance(item[0], anchors))[1]
            if not figures.same_figure(want, nearest) and not any(
                    figures.same_figure(w, nearest) for w in wanted):
                return False
    return True


def _found(form: _Form, clause: str, asked: bool = False) -> tuple[float, list[tuple[int, int]]]:
    """The share of ``form``'s weighted words said in ``clause`` and where they are; with ``asked``, words of the
    question (:data:`_ASKED`) count as said when the clause says every figure of the point."""
    if not form.words:
        return 0.0, []
    sounds = _sounds(clause)
    spans, got, given = [], 0.0, 0
    asked = _ASKED.get() if asked and form.figures and _says_figures(form.figures, clause) else ""
    for word, weight in zip(form.words, form.weights):
        span = _word_at(word, clause, sounds)
        if span is not None:
            spans.append(span)
            got += weight
        elif asked and word in asked and len(word) >= 2:
            given += 1
            got += weight
    if not spans or len(spans) + given < _words_needed(len(form.words)):
        got = min(got, (CONTENT_SHARE - 0.01) * sum(form.weights))
    return got / sum(form.weights), spans


#: The words of the question being answered: an answer need not repeat them beside a figure of the point (asked
#: 群众满意度要求多少, 九十以上 makes 满意度达到90%以上); it must still say the figure and one word of its own.
_ASKED: contextvars.ContextVar[str] = contextvars.ContextVar("asked", default="")


def _says_figures(wanted: tuple[figures.Figure, ...], clause: str) -> bool:
    """True when ``clause`` says every figure of ``wanted`` with its value."""
    said = figures.figures(clause, dates=True)
    return all(any(figures.same_figure(w, got) for got in said) for w in wanted)


def _words_needed(n: int) -> int:
    """Fewest words of a point of ``n`` words that must be said, whatever their weights: both of two (落实 alone is
    not 政策落实), half of more."""
    return n if n <= 2 else math.ceil(n / 2)


def _polarity_right(clause: str, spans: list[tuple[int, int]], negative: bool,
                    averted: frozenset[str] = frozenset()) -> bool:
    """True when ``clause`` negates (an odd number of negations outside the point's words) exactly when the point
    is worded negatively: 没有户贷企用 makes 无户贷企用, 户贷企用也可以 does not; 中队还没挂牌 does not make
    中队已经挂牌. A negation just before a harm the point averts (``averted``: 不会断水 for 应对…断水) agrees with
    the point and is not counted."""
    harms = [start for start, end in spans if end and clause[start:end] in averted]
    negs = [i for i in _negations(clause, spans) if not any(0 < h - i <= NEGATION_REACH for h in harms)]
    said = [start for start, end in spans if end]
    if "、" in clause and said:
        # a negation bears on its own item of a list and those after it (不能有A、B), not those before
        item = [clause.count("、", 0, k) for k in range(len(clause) + 1)]   # which item of the list each char is in
        negs = [i for i in negs if any(item[i] <= item[k] for k in said)]
    return bool(negs) == negative


def _averted(point: _Form) -> frozenset[str]:
    """The harms ``point`` averts, with their synonyms."""
    return frozenset(w for word in point.averted for w in synonym_groups().get(word, {word})) | point.averted


def _averting_said(clause: str, spans: list[tuple[int, int]], point: _Form) -> bool:
    """For a point that averts a harm (应对季节性缺水断水): True when the clause says the averting (应对, 防止 …) or
    denies the harm (不会断水); False when it only names the harm (季节性缺水断水经常发生). True for other points."""
    averted = _averted(point)
    harms = [start for start, end in spans if end and clause[start:end] in averted]
    if not harms or _RE_AVERT.search(clause):
        return True
    return any(0 < h - i <= NEGATION_REACH for i in _negations(clause) for h in harms)


def _contrast_swapped(contrasts: set[str], clause: str) -> bool:
    return any(w not in clause and any(other in clause for other in _lexicon()[1][w]) for w in contrasts)


#: A clause saying at least this share of a point's words is about that point: a shorter wording (访谈15人, 75%) is
#: credited only in the clause where the point's own words are said best.
ABOUT_SHARE = 0.4


def _comparisons(text: str) -> set[str]:
    return {c for c in text if c in "≥≤≻"}


def _form_covered(form: _Form, clauses: list[tuple[str, str]], point: _Form, negative: bool) -> bool:
    wanted = form.figures or point.figures
    contrasts = set(form.contrasts) | set(point.contrasts)
    directions = _comparisons("".join(form.words)) or _comparisons("".join(point.words))
    about = [_found(point, head, asked=True) for head, _, _ in clauses]
    best = max((share for share, _ in about), default=0.0)
    for (clause, text, _), (point_share, point_spans) in zip(clauses, about):
        if best >= ABOUT_SHARE and point_share < best - 1e-9:
            continue
        if wanted:   # a target said (要90%) answers a comparison with a figure
            clause = clause.replace(TARGET, "≥")
        if not directions <= _comparisons(clause) or _contrast_swapped(contrasts, clause):
            continue
        if form.words:
            share, spans = _found(form, clause, asked=True)
            if share < CONTENT_SHARE - 1e-9:
                continue
        else:
            spans = point_spans
        said = figures.figures_at(text)
        if not wanted and not form.words:
            continue
        if not _figures_right(wanted, said, spans):
            continue
        if _polarity_right(clause, spans, negative, _averted(point)) and _averting_said(clause, spans, point):
            return True
    if not form.words and not point.words and wanted:
        # A point that is only figures (150户, 11月1日至3日): each figure said somewhere in the answer, not negated.
        said = [(c, f) for c, _, _ in clauses for f in figures.figures(c, dates=True)]
        return all(any(figures.same_figure(w, f) and _polarity_right(c, [], negative) for c, f in said)
                   for w in wanted)
    return False


#: Longest reply (characters) that, right after a question of the speaker's own, answers it (没有。我们村做不到。).
SHORT_REPLY = 10
_RE_SENTENCE_KEEP = re.compile(r"([。；;！!？?\n]+)")


def _sentences(text: str) -> list[str]:
    """``text`` cut into sentences; a sentence asking something (…？) and a short denial right after it
    (:data:`SHORT_REPLY`) are one: the denial answers the question (逾期率低于0.5%？我们村做不到)."""
    pieces = _RE_SENTENCE_KEEP.split(text)
    out: list[str] = []
    asked = False
    for body, end in zip(pieces[::2], [*pieces[1::2], ""]):
        reply = _RE_NOISE_POINT.sub("", body)
        if asked and out and 0 < len(reply) <= SHORT_REPLY and _negations(reply):
            out[-1] += reply
        else:
            out.append(body)
        asked = "？" in end or "?" in end
    return out


def _clauses(answer: str) -> list[tuple[str, str, int]]:
    """The answer's clauses (cut at ，。；！？：, brackets and line ends), each in :func:`_canonical` form. A clause
    that holds no figure runs on to the next clause of its sentence that holds one (访谈市县…干部，包括…，共访谈15人):
    each clause comes as (the clause, the clause with its run-on, the number of its sentence), the point's words,
    comparisons and negations are looked for in the clause, its figures in the run-on. A sentence ends at 。；！？
    and line ends; a question answered at once by a short denial (合格村医？没有。看病方便？不方便。) is one clause."""
    out = []
    for number, sentence in enumerate(_sentences(_canonical(answer, answer=True))):
        sentence = _RE_PROBLEM.sub(lambda m: _without_negations(m.group()), sentence)
        parts = [c for c in (_RE_NOISE_CLAUSE.sub("", part).strip("、") for part in _RE_CLAUSE.split(sentence)) if c]
        for i, part in enumerate(parts):
            text = part
            if not figures.FIGURE_PATTERN.search(part):
                for j in range(i + 1, min(len(parts), i + 1 + RUN_ON)):
                    if figures.FIGURE_PATTERN.search(parts[j]):
                        text = "".join(parts[i:j + 1])
                        break
            out.append((part, text, number))
    return out


@lru_cache(maxsize=1)
def _everyday_words():
    """The shared lexicon (:data:`LEXICON_FILE`: 搬进去住 → 竣工入住, 娃不上学 → 失学辍学), read without the
    knowledge base's checks (``python -m bot validate`` makes them)."""
    from bot.qa.lexicon import load_lexicon

    lexicon, _ = load_lexicon(LEXICON_FILE, "knowledge/lexicon.yaml", None)
    return lexicon


@lru_cache(maxsize=64)
def _readings(answer: str) -> tuple[list[tuple[str, str, int]], ...]:
    """The answer's clauses as typed, and (when the lexicon finds everyday phrases in it) as the plan would say it
    (:func:`_everyday_words`, only the phrases whose sense the plan's word keeps: :func:`_sounds_negative`); a point
    is made when either reading makes it."""
    readings = [_clauses(answer)]
    rewritten, hits = _everyday_words().apply(
        normalise(answer), keep=lambda h: _sounds_negative(h.phrase) == _sounds_negative(h.concept))
    if hits:
        readings.append(_clauses(rewritten))
    return tuple(readings)


#: Characters that give a word a bad sense besides negations (看病难, 烂房子; 失学辍学, 滞销, 危房).
_BAD_SENSE = set("难乱差烂破坏失辍滞缺断危漏欠拖")


def _sounds_negative(text: str) -> bool:
    """True when ``text`` has a bad or negated sense (有没有 is a question, not a negation). The lexicon maps
    phrases to a topic for the Q&A (看病难 → 看病方便); grading keeps only the mappings that keep the sense (不想读书 → 失学辍学, 搬进去住 → 竣工入住)."""
    return bool(_negations(text)) or any(c in _BAD_SENSE for c in text)


#: Words that wave a requirement away (退休了就算了, 没入住也没关系, 后期不用管): the clause — or a bare one after
#: it (…替代上岗，这个没关系) — takes back the point it names, whichever way the point is worded.
#: A short clause after the point's that denies it was done or known (我们村做不到, 这些我都没听说过): the
#: point is taken back as by :data:`WAVED`.
DENIED = re.compile(r"(?:做不到|达不到|办不到|没做到|没达到|没有做|没做|没搞|没有搞|没听说过?|不知道|不清楚|不了解)"
                    r"(?:过|的|了|啊|呢)?$|^(?:这些|这个|那些|那个)[^，,。；;]{0,6}(?:没|不|未)")
WAVED = re.compile(r"就算了|没关系|无所谓|不用管|不归[^，,。；;]{0,4}管|不管了|差不多就行|差不多就可以|也没事|没啥事")
#: A clause this short once the waving words are out says nothing of its own (这个没关系, 也无所谓).
BARE = 4
#: How far before a word of a point a negation may stand and still bear on it (不用再提升: 3).
NEGATION_REACH = 3
#: What may stand between a negation and the word it denies (不用再提升, 还没开始整改, 不能及时纳入).
_RE_HELPERS = re.compile(r"(?:再|还|都|也|开始|去|来|能|会|要|用|及时|认真|好好|按时|按期|被|必|需){0,2}")


def _contradicted(point: _Form, clauses: list[tuple[str, str, int]], negative: bool) -> bool:
    """True when the answer takes the point (in this wording) back: a clause saying its content waves it away
    (:data:`WAVED`, also from a bare clause after it; 就行 alone is not one: 不低于50%就行 says the point); or, for
    a positively worded point, two neighbouring clauses of one sentence say its content together and one of them
    negates one of its words (the negation just before it, or with a helper word between: :data:`_RE_HELPERS`):
    精准度去年搞过了，这次不用再提升了 takes back 提升精准度; 只有脱贫户安排联系人，监测户不用安排 takes back
    均安排帮扶联系人. A negation in a clause without the point's words (要落实到位，不能走过场) takes nothing back."""
    if not point.words:
        return False
    averted = _averted(point)
    for clause, _, _ in clauses:
        if WAVED.search(clause) and _found(point, clause)[0] >= CONTENT_SHARE - 1e-9:
            return True
    for (a, _, sa), (b, _, sb) in zip(clauses, clauses[1:]):
        if sa != sb:
            continue
        if WAVED.search(b) and (len(WAVED.sub("", b)) <= BARE or _found(point, b)[1]) and \
                _found(point, a + "，" + b)[0] >= CONTENT_SHARE - 1e-9:
            return True
        if DENIED.search(b) and len(b) <= SHORT_REPLY + 2 and _found(point, a)[0] >= CONTENT_SHARE - 1e-9:
            return True
        if negative:
            continue
        for negated in (a, b):
            spans = _found(point, negated)[1]
            # the negation bears on a word of the point: it comes just before it, or with a helper word between
            # (不用再提升, 不用安排, 还没开始整改; not 无义务教育阶段…学生, where 无 is of the students)
            if not any(start >= i and _RE_HELPERS.fullmatch(negated[i + _negation_length(negated, i):start])
                       and negated[start:end] not in averted
                       for i in _negations(negated, spans) for start, end in spans if end):
                continue
            if _found(point, a + "，" + b)[0] >= CONTENT_SHARE - 1e-9:
                return True
    return False


def point_covered(point: KeyPoint, answer: str) -> bool:
    """Return True when ``answer`` (free text) makes ``point`` in the point's or one of its ``accept`` wordings,
    as described in the module docstring: in one clause enough of the point's content words (weighted by how telling
    each is) in any order, as ordinary synonyms or by sound; every figure right by value and the figure of its kind
    nearest the point's words (an ``accept`` wording without figures still needs the point's); the clause negating
    exactly when the point does; and no word of a contrast set of the point swapped for another (秋季 for 春季).
    An ``accept`` wording of a negative point that shares its words without its negation (户贷企用 for 无户贷企用,
    代替上岗 for 避免出现…替代上岗) still needs the answer to negate it."""
    whole = _form(point.point)
    for clauses in _readings(answer):
        if _contradicted(whole, clauses, whole.negative):
            continue
        for text in (point.point, *point.accept):
            form = _form(text)
            negative = whole.negative if whole.negative and not form.negative and set(form.words) & set(whole.words) \
                else form.negative
            if _form_covered(form, clauses, whole, negative):
                # the wording that made the point must not be taken back either (联系人退休了就算了 for 退休)
                return form is whole or not _contradicted(form, clauses, negative)
    return False


@dataclass(frozen=True)
class InterviewGrade:
    """The grade of one interview answer: ``covered`` and ``missed`` key points, ``score`` in 0–100, ``wrong``
    (for a missed point whose words were said with another figure: that figure, see :func:`figure_said_instead`),
    and ``too_long`` when the answer ran far past what the question needs (then the score is at most
    :data:`TOO_LONG_CAP`: reciting everything one knows is not answering the assessor)."""

    covered: list[KeyPoint]
    missed: list[KeyPoint]
    too_long: bool = False
    #: missed point text → the figure the answer gave for it instead (产业收入达到4000元 → 3000元)
    wrong: dict[str, str] = field(default_factory=dict)

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


def off_topic(question: str, answer: str) -> str | None:
    """The word of a topic set (``topics:`` in ``knowledge/interview_synonyms.yaml``) the ``question`` asks about
    when ``answer`` never says it but says another of its set instead (asked about 产业奖补, a passage on
    就业激励奖补 answers another question), else None."""
    asked, said = _canonical(question), _canonical(answer, answer=True)
    for word, others in _lexicon()[2].items():
        if word in asked and word not in said and any(o in said and o not in asked for o in others):
            return word
    return None


def grade_interview(question: InterviewQuestion, answer: str) -> InterviewGrade:
    """Grade a free-text interview ``answer`` by the key points of ``question`` it covers."""
    token = _ASKED.set(_canonical(question.question))
    try:
        off = off_topic(question.question, answer)
        covered = [] if off else [p for p in question.key_points if point_covered(p, answer)]
    finally:
        _ASKED.reset(token)
    missed = [p for p in question.key_points if p not in covered]
    wrong = {p.point: said for p in missed if (said := figure_said_instead(p, answer))}
    return InterviewGrade(covered, missed, too_long(answer, question.model_answer), wrong)


def figure_said_instead(point: KeyPoint, answer: str) -> str | None:
    """For a point with a figure (产业收入达到4000元): the other figure of the same kind the answer gives where it
    says the point's words (够三千块的奖一千块 → ``3000元``), written as the figures module writes it; None when
    the answer does not say the point's words or gives no such figure."""
    whole = _form(point.point)
    if not whole.figures or not whole.words:
        return None
    for head, text, _ in _clauses(answer):
        if _found(whole, head)[0] < ABOUT_SHARE:
            continue
        for _, got in figures.figures_at(text):
            if any(_comparable(w, got) for w in whole.figures) and \
                    not any(figures.same_figure(w, got) for w in whole.figures):
                return figures.text_of(got.value) + got.unit
    return None
