"""Find the knowledge entry that answers a question typed by a cadre.

Why not a token-based fuzzy scorer alone: an unspaced Chinese sentence is one "token" to rapidfuzz's
``token_*`` scorers. Instead every question and entry is cut into overlapping pairs of tokens (bigrams), each
kept twice — as written and as pinyin — so 检测对象 meets 监测对象 by sound. A question is scored by how much
of its (IDF-weighted) bigrams an entry explains, with titles and aliases counting more than answer text, then
re-ranked with rapidfuzz over pinyin against titles and aliases, and nudged by the question's intent (a
number, a date, a lead unit). A weak best score means "I don't know", never a random entry.

Sound keys are sound classes (:mod:`bot.qa.sound`: n/l, f/h, zh/z, ch/c, sh/s, in/ing, en/eng merged, tones
ignored), so voice-input and accent slips meet the plan's words, always a step below an exact character match.
Everyday phrases become the plan's concepts first (:mod:`bot.qa.lexicon`), and a message holding two questions
(one per clause) gets each answered.

Why this module is long: the index, the score, abstention, the figure checks and the several-questions rule share
one set of thresholds and the one index; splitting them would scatter the numbers that must be tuned together.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from rapidfuzz import fuzz

from bot.kernel import figures
from bot.kernel.models import Entry, FactKind
from bot.kernel.text import has_content, is_cjk, normalise, tokens
from bot.qa.lexicon import Hit, Lexicon
from bot.qa.sound import sound_class

#: Below this the bot abstains. Scores are in [0, 1.1].
ABSTAIN_BELOW = 0.40
#: When the runner-up is this close to the best (Rasa's default ambiguity gap), suggestions are offered.
AMBIGUITY_GAP = 0.1
#: Below this the answer is given with "did you mean" suggestions even when the gap is wide.
CONFIDENT_AT = 0.6

FIELD_WEIGHTS = {"title": 1.0, "alias": 1.0, "answer": 0.6}
PINYIN_ONLY = 0.85   # a bigram that matches by sound only, not by characters
INTENT_BONUS = 0.06
COMMON_PAIR_CANDIDATES = 200   # entries a very common pair is scored for (only in bases of thousands)
JUNCTION = 0.25
UNKNOWN_WHEN_NAMED = 0.5
NAMED_COVER = 0.66
NAMED_AT = 0.75      # a one-pair question scores this only when the pair is in a title or alias
#: A best entry scoring between this and ABSTAIN_BELOW is still offered (with the runners-up as buttons) when the
#: question named, in everyday words of the lexicon, a concept the entry states: something relevant did score.
CONCEPT_FLOOR = 0.25
#: A clause of a message is answered on its own (two questions in one) only from this score.
PART_CONFIDENT = 0.5
#: A whole message answered this well (and clearly) is taken for one question, not cut into clauses.
SURE_OF_ONE = 0.75
#: At most this many questions of one message are answered.
MAX_PARTS = 3

# Filler that says nothing about the topic; removed (as a break) before bigrams are made. Longest first.
_FILLER = sorted("""
请问 问一下 一下 一共 总共 分别 想问 咋样 咋办 怎么办 干啥 干嘛 咋 我想 我们 俺们 咱们 你们 他们 这个 那个 这次 那次 这些 那些 到底 听说 究竟 主要 具体
什么 啥子 怎么样 怎么 怎样 如何 哪些 哪个 哪里 哪儿 多少 有没有 是不是 算不算 要不要 能不能 会不会 可不可以
有哪些 是什么 是啥 为什么 干什么 做什么 需要 应该 必须 可以 关于 对于 还是 或者 然后 就是 一个 之类 情况下
咋整 咋弄 咋搞 咋个 来着 行不行 好不好 对不对 中不中 成不成 可以不 不咯 这块 那块 这一块 那一块 这边 那边 的话
算啥问题 算不算问题 啥问题 算问题 是不是问题 有没有问题 有啥要求 啥要求 咋要求 怎么要求 硬要求
咯 嘞 噻 哎 诶 喔
吗 呢 啊 吧 呀 啥 嘛 哦 哈 呗 么 啦 的 了 得 地 着 过 很 都 也 还 就 又 才 被 把 给 让 向 在 和 与 及 或 跟 对 从
要 是 有 几 哪 谁 我 你 他 她 它 这 那
""".split(), key=len, reverse=True)
# A filler glued to a word the knowledge base uses stays (了 in 了解, 过 in 超过, 主要 in 主要领导): see _strip_filler.
_RE_FILLER = re.compile("|".join(map(re.escape, _FILLER)))
_RE_BREAK = re.compile(r"[^\u4e00-\u9fff0-9a-z.%]+")

# Question intent → what an entry should hold to be preferred.
_INTENT_WORDS = {
    "date": re.compile(r"什么时候|何时|哪天|哪一天|几号|几月|几日|日期|时间节点|截止|期限|之前|前要|哪年"),
    "lead": re.compile(r"谁|哪个部门|哪些部门|哪个单位|牵头|负责|组长"),
    "number": re.compile(r"多少|几|百分之|比例|比率|标准|多高|多大|分值|达到|不低于|低于"),
}
# Questions that ask for a figure of a given kind. The plan gives few amounts; when the matching entries state
# none of that kind, answering with the topic's entry would be confidently wrong.
_ASKS_MONEY = re.compile(r"多少钱|多少元|几元|多少块|补助多少|补贴多少|标准是多少|保费|金额|工资|利息|标准线|收入线|贫困线"
                         r"|(?:贷|借|领|拿|补|给|发|挣|赚)(?:多少|几)")
# A level asked for (低于多少, 到多少以上): only an entry stating some figure answers it.
_ASKS_LEVEL = re.compile(r"(?:低于|高于|超过|不到|不足|达到|到)(?:多少|几)(?![号日月点天年])|(?:多少|几)(?:以下|以上|之内|以内)")
# How long something lasts (派几年, 多少天): the plan states no durations, only dates.
_ASKS_DURATION = re.compile(r"(?<!哪)(?:几|多少)(?:年|个月|天)")
_DURATION_IN_ANSWER = re.compile(rf"(?<![\d{figures.CN_NUMERALS}])[{figures.CN_NUMERALS}\d]{{1,2}}(?:年|个月|天)(?!度)")
_YEAR = re.compile(r"(20\d\d)年")
_RE_SPOKEN_NOT = re.compile(r"没有?(?=([\u4e00-\u9fff]))")
# Where a message holding several questions is cut: sentence and clause punctuation, spaces (voice input puts a
# space where the speaker paused).
_CLAUSE_BREAK = re.compile(r"[？?！!。；;，,\s]+")
_ASKS_RATE = re.compile(r"(.)率(?:是|要|为|有)?(?:多少|几)|百分之(?:几|多少)|比例(?:是|为|要求|要|有)?(?:多少|几)")
_ASKS_COUNT = re.compile(r"(?:几|多少)[^，,。？?！!]{0,4}?(次|户|人)")
_NUMBER_BEFORE = rf"(?:\d+|[{figures.CN_NUMERALS}]+)"
_LEAD_IN_ANSWER = re.compile(r"牵头|负责|组长|担任|责任人")
_NUMBER_KINDS = {FactKind.percent, FactKind.money, FactKind.score, FactKind.count}
_LEVEL_KINDS = {FactKind.percent, FactKind.money, FactKind.count}   # a threshold, not an indicator's 分值

_GREETINGS = {
    "你好", "您好", "你好啊", "您好啊", "hi", "hello", "在吗", "在不在", "早上好", "上午好", "下午好", "晚上好",
    "早", "早安", "晚安", "嗨", "哈喽", "大家好", "喂",
}
_THANKS = {"谢谢", "多谢", "感谢", "谢谢你", "谢谢您", "谢了", "好的", "好", "收到", "明白", "明白了", "知道了",
           "ok", "okay", "嗯", "嗯嗯", "行", "可以", "再见", "拜拜", "辛苦了"}


class Verdict(str, Enum):
    """What kind of reply a question gets."""

    answer = "answer"          # a clear best entry
    unsure = "unsure"          # a best entry, but close runners-up or a middling score: offer suggestions
    abstain = "abstain"        # nothing matches well enough
    greeting = "greeting"      # 你好 and the like
    thanks = "thanks"          # 谢谢, 好的 and the like
    empty = "empty"            # no letters, digits or Chinese at all (emoji, punctuation, blank)
    no_figure = "no_figure"    # asks for an amount, rate or count the plan does not give (危改每户补助多少钱)


@dataclass(frozen=True)
class Candidate:
    """An entry and its score in [0, 1.1] for one question."""

    entry: Entry
    score: float


@dataclass
class Match:
    """The result of matching one question.

    ``candidates`` are the best entries, best first (at most ``limit``); ``verdict`` says how to reply.
    """

    query: str
    verdict: Verdict
    candidates: list[Candidate] = field(default_factory=list)
    #: Lexicon phrases found in the question (everyday words → the plan's concept), left to right.
    concepts: list[Hit] = field(default_factory=list)
    #: For a message holding several questions: one match per question answered (its best entry first), then
    #: any asking for a figure the plan does not give; empty for a single question.
    parts: list["Match"] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        """True when the bot should say it does not know (also for greetings, thanks and empty input)."""
        return self.verdict not in (Verdict.answer, Verdict.unsure)

    @property
    def best(self) -> Candidate | None:
        """The best candidate, or None."""
        return self.candidates[0] if self.candidates else None


@dataclass
class _Features:
    """Bigram keys of a text, with the weight of the best field each came from."""

    chars: dict[str, float]
    sounds: dict[str, float]


def apply_synonyms(text: str, synonyms: list[tuple[str, str]]) -> str:
    """Replace cadre words by the plan's words, longest first, never inside an occurrence of the plan's word.

    Args:
        text: normalised text.
        synonyms: (cadre word, plan word) pairs, longest cadre word first.
    Returns:
        the text with replacements made.
    """
    for word, plan_word in synonyms:
        if word not in text:
            continue
        protected = [(m.start(), m.end()) for m in re.finditer(re.escape(plan_word), text)]
        out, pos = [], 0
        for m in re.finditer(re.escape(word), text):
            if any(a <= m.start() < b for a, b in protected):
                continue
            out.append(text[pos:m.start()])
            out.append(plan_word)
            pos = m.end()
        out.append(text[pos:])
        text = "".join(out)
    return text


def _bigrams(segment: str) -> list[tuple[str, str]]:
    """Return (character key, sound-class key) for each bigram of a segment, and for each number in it."""
    toks = tokens(segment)
    sounds = [sound_class(t) for t in toks]
    pairs = [("c" + toks[i] + toks[i + 1], "p" + sounds[i] + "|" + sounds[i + 1]) for i in range(len(toks) - 1)]
    # A number is informative on its own (0.5%, 4000): it also counts as a feature by itself.
    return pairs + [("c" + t, "p" + t) for t in toks if t[0].isdigit()]


def _pinyin_string(text: str) -> str:
    return "".join(sound_class(t) for t in tokens(text))


def split_questions(text: str) -> list[str]:
    """Cut a message into its clauses (at punctuation and spaces), each a possible question.

    Args:
        text: the message as typed.
    Returns:
        the clauses holding at least two Chinese characters, in order (a shorter one joins the clause before).
    """
    parts: list[str] = []
    for piece in _CLAUSE_BREAK.split(text):
        if not piece:
            continue
        if parts and sum(map(is_cjk, piece)) < 2:
            parts[-1] += piece
        else:
            parts.append(piece)
    return [p for p in parts if sum(map(is_cjk, p)) >= 2]


class Matcher:
    """An index over knowledge entries that ranks them for a question.

    Build once per knowledge base (about a millisecond per hundred entries); :meth:`match` is read-only and safe
    to call from many coroutines.
    """

    def __init__(self, entries: list[Entry], synonyms: dict[str, str] | None = None, lexicon: Lexicon | None = None):
        """Index ``entries``; ``synonyms`` maps cadre words to the plan's words (see ``knowledge/synonyms.yaml``),
        ``lexicon`` everyday phrases to the plan's concepts (``knowledge/lexicon.yaml``)."""
        self.entries = entries
        self.lexicon = lexicon or Lexicon()
        # Years the plan speaks of: a question about another year is not about this plan.
        self._years = {y for e in entries for t in (e.title, e.answer) for y in _YEAR.findall(normalise(t))}
        self.synonyms = sorted(((normalise(k), normalise(v)) for k, v in (synonyms or {}).items()),
                               key=lambda kv: len(kv[0]), reverse=True)
        chars: dict[str, list[tuple[int, float]]] = defaultdict(list)
        sounds: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # Title and aliases as (pinyin string, pinyin bigrams): how much of a name the question covers.
        self._names: list[list[tuple[str, set[str]]]] = []
        self._has: list[set[str]] = []
        for i, entry in enumerate(entries):
            feats = self._entry_features(entry)
            for key, w in feats.chars.items():
                chars[key].append((i, w))
            for key, w in feats.sounds.items():
                sounds[key].append((i, w))
            names = [apply_synonyms(normalise(n), self.synonyms) for n in (entry.title, *entry.aliases)]
            self._names.append([(_pinyin_string(n), {pk for seg in _RE_BREAK.split(n) for _, pk in _bigrams(seg)})
                                for n in names])
            has = {"number"} if any(f.kind in _NUMBER_KINDS for f in entry.facts) else set()
            if any(f.kind is FactKind.date for f in entry.facts):
                has.add("date")
            if _LEAD_IN_ANSWER.search(entry.answer):
                has.add("lead")
            self._has.append(has)
        n = max(1, len(entries))
        # A question word the knowledge base never uses weighs as much as its rarest word: it lowers coverage,
        # which is what makes off-topic questions abstain, without drowning a long colloquial question.
        self._idf_unknown = math.log(1 + n)
        self._idf = {k: math.log(1 + n / len(v)) for k, v in sounds.items()}
        # Postings as compact arrays (entry numbers ascending, weights): a 100× larger base stays small in memory.
        self._chars = {k: _postings(v) for k, v in chars.items()}
        self._sounds = {k: _postings(v) for k, v in sounds.items()}
        # A pair found in this many entries says little; it is scored only for entries rarer pairs found.
        self._common = max(500, n // 10)

    def _entry_features(self, entry: Entry) -> _Features:
        chars: dict[str, float] = {}
        sounds: dict[str, float] = {}
        fields = [("title", entry.title), *(("alias", a) for a in entry.aliases), ("answer", entry.answer)]
        for name, text in fields:
            w = FIELD_WEIGHTS[name]
            for seg in _RE_BREAK.split(apply_synonyms(normalise(text), self.synonyms)):
                for ck, pk in _bigrams(seg):
                    chars[ck] = max(chars.get(ck, 0.0), w)
                    sounds[pk] = max(sounds.get(pk, 0.0), w)
        return _Features(chars, sounds)

    def _add(self, scores: dict[int, float], ck: str, pk: str, idf: float) -> None:
        """Add one pair's contribution to every entry holding it: by characters, else by sound (× PINYIN_ONLY)."""
        best = {i: w * PINYIN_ONLY for i, w in zip(*self._sounds.get(pk, _NO_POSTINGS))}
        for i, w in zip(*self._chars.get(ck, _NO_POSTINGS)):
            if w > best.get(i, 0.0):
                best[i] = w
        for i, w in best.items():
            scores[i] += idf * w

    def _weighted_grams(self, core: str) -> dict[tuple[str, str], float]:
        """Return the question's (character key, pinyin key) features with their weights (IDF).

        A pair the knowledge base never uses weighs as much as its rarest pair — that is what makes an off-topic
        question abstain — except a pair squeezed between two known pairs (文件|制定 gives 件制) or one joining a
        known pair to a lone last or first character (评估|查): it says nothing about the topic and weighs a
        quarter.
        """
        out: dict[tuple[str, str], float] = {}
        for seg in _RE_BREAK.split(core):
            pairs = _bigrams(seg) if seg else []
            known = [pk in self._idf for _, pk in pairs]
            # Tokens are covered when a pair of the plan's characters holds them; an uncovered one standing alone between covered ones
            # or at the segment's edge (方法|来|评估, 评估|查) is glue, not topic. (Pairs come first, then numbers.)
            n_pairs = max(0, len(tokens(seg)) - 1)
            covered = [False] * (n_pairs + 1)
            for j in range(n_pairs):
                if pairs[j][0] in self._chars:   # the plan's own characters, not a pair that only sounds alike
                    covered[j] = covered[j + 1] = True

            def glue(t: int) -> bool:
                return covered[t] or ((t == 0 or covered[t - 1]) and (t == n_pairs or covered[t + 1]))

            for j, pair in enumerate(pairs):
                if known[j]:
                    weight = self._idf[pair[1]]
                else:
                    junction = j < n_pairs and any(covered) and glue(j) and glue(j + 1)
                    weight = self._idf_unknown * (JUNCTION if junction else 1.0)
                out[pair] = max(out.get(pair, 0.0), weight)
        return out

    def _holds_concept(self, entry: Entry, hits: list[Hit]) -> bool:
        """True when the question named (in everyday words) a concept that ``entry`` itself states."""
        if not hits:
            return False
        text = apply_synonyms(normalise("\n".join((entry.title, *entry.aliases, entry.answer))), self.synonyms)
        return any(apply_synonyms(h.concept, self.synonyms) in text for h in hits)

    def _known_pair(self, chars: str) -> bool:
        """True when two characters are a pair of the knowledge base's own text (as written)."""
        return f"c{chars}" in self._chars

    def _strip_filler(self, text: str) -> str:
        """Replace filler words by a break, except where a filler is glued to a word the knowledge base uses."""
        out, pos = [], 0
        for m in _RE_FILLER.finditer(text):
            start, end = m.span()
            word = m.group()
            # A two-character filler is kept only if it is itself a word the knowledge base uses (主要领导).
            glued = (len(word) == 1 or f"c{word}" in self._chars) and (
                (start > 0 and f"c{text[start - 1]}{text[start]}" in self._chars)
                or (end < len(text) and f"c{text[end - 1]}{text[end]}" in self._chars))
            if not glued:
                out += [text[pos:start], " "]
                pos = end
        out.append(text[pos:])
        return "".join(out)

    def _name_cover(self, i: int, qpinyin: str, qsounds: set[str]) -> float:
        """How fully the question holds one of entry ``i``'s names (title or alias), in [0, 1].

        Two views, the larger wins: the share of the name's bigrams found in the question (by sound), and
        rapidfuzz's partial ratio of a name no longer than the question against it (pinyin, so a slip of one
        syllable still scores).
        """
        best = 0.0
        for pinyin, sounds in self._names[i]:
            if sounds:
                best = max(best, len(sounds & qsounds) / len(sounds))
            if 4 <= len(pinyin) <= len(qpinyin):
                best = max(best, fuzz.partial_ratio(pinyin, qpinyin) / 100)
        return best

    def match(self, query: str, limit: int = 3) -> Match:
        """Rank entries for ``query``; a message holding several questions gets each answered.

        Args:
            query: the question as typed (any width, any length; only the first 500 characters are read).
            limit: how many candidates to return.
        Returns:
            a :class:`Match` whose verdict is ``answer``, ``unsure`` (suggest alternatives), ``abstain``,
            ``greeting``, ``thanks``, ``empty`` or ``no_figure``. When two or more clauses are each answered
            with different entries, ``parts`` holds their matches and ``candidates`` starts with their best
            entries; so does a message whose whole abstains while one clause is answered.
        """
        query = query[:500]
        whole = self._match_one(query, limit)
        if whole.verdict in (Verdict.greeting, Verdict.thanks, Verdict.empty):
            return whole
        if whole.verdict is Verdict.answer and whole.candidates[0].score >= SURE_OF_ONE:
            return whole   # one clear, strong answer: a second question would have pulled the score apart
        clauses = split_questions(query)
        if len(clauses) < 2:
            return whole
        subs = [self._match_one(c, limit) for c in clauses[:MAX_PARTS + 2]]
        whole_best = whole.candidates[0] if whole.verdict in (Verdict.answer, Verdict.unsure) else None
        answered: list[Match] = []   # one per clause answered on its own, its chosen entry first
        own: list[Candidate] = []      # each such clause's own best entry
        for m in subs:
            if m.verdict not in (Verdict.answer, Verdict.unsure) or m.candidates[0].score < PART_CONFIDENT:
                continue
            pick = m.candidates[0]
            same = next((c for c in m.candidates if whole_best and c.entry.id == whole_best.entry.id), None)
            if same is not None and same.score >= pick.score - AMBIGUITY_GAP:
                pick = same   # the entry explaining the whole message, when it is as good for the clause
            if all(a.candidates[0].entry.id != pick.entry.id for a in answered):
                answered.append(Match(m.query, m.verdict, [pick, *(c for c in m.candidates if c is not pick)],
                                      m.concepts))
                own.append(m.candidates[0])
        answered = answered[:MAX_PARTS]
        no_figure = [m for m in subs if m.verdict is Verdict.no_figure]
        asked_about = {c.entry.id for m in no_figure for c in m.candidates}
        if any(m.candidates[0].entry.id in asked_about for m in answered):
            # The other clause is about the same topic as the figure the plan does not give (能贷多少, 利息谁出):
            # answering it would look like answering the figure.
            return whole if whole.verdict is Verdict.no_figure else no_figure[0]
        if len(answered) == 1 and whole_best is not None and not no_figure:
            first = own[0]
            if first.entry.id == whole_best.entry.id or whole.verdict is Verdict.answer:
                return whole   # one question; its clauses agree with the whole message's answer
            if first.entry.id in {c.entry.id for c in whole.candidates}:
                # Close candidates for the whole, and only one clause answerable on its own: it says which.
                rest = [c for c in whole.candidates if c.entry.id != first.entry.id]
                return Match(query, whole.verdict, [first, *rest], whole.concepts)
        if len(answered) >= 2 or (answered and (whole.verdict is Verdict.abstain or no_figure)):
            firsts = [m.candidates[0] for m in answered]
            rest = [c for c in whole.candidates if c.entry.id not in {f.entry.id for f in firsts}]
            verdict = Verdict.unsure if any(m.verdict is Verdict.unsure for m in answered) else Verdict.answer
            parts = answered + no_figure if len(answered) + len(no_figure) >= 2 else []
            return Match(query, verdict, (firsts + rest)[:max(limit, len(firsts))], whole.concepts, parts)
        return whole

    def _match_one(self, query: str, limit: int) -> Match:
        """Rank entries for one question; see :meth:`match`."""
        if not has_content(query):
            return Match(query, Verdict.empty)
        if not any(is_cjk(c) for c in query):
            # No Chinese at all (1, 2021, <script>, ' or 1=1): nothing in the plan is asked that way.
            bare_ascii = _RE_BREAK.sub("", normalise(query))
            return Match(query, Verdict.greeting if bare_ascii in _GREETINGS else (
                Verdict.thanks if bare_ascii in _THANKS else Verdict.abstain))
        bare = _RE_BREAK.sub("", normalise(query))
        if bare in _GREETINGS:
            return Match(query, Verdict.greeting)
        if bare in _THANKS:
            return Match(query, Verdict.thanks)

        plain = normalise(query)
        if self.lexicon.other_place(plain) or any(y not in self._years for y in _YEAR.findall(plain)):
            # Another county's or another year's assessment: this plan does not speak for it.
            return Match(query, Verdict.abstain)
        known = self._known_pair
        with_concepts, hits = self.lexicon.apply(plain, known)
        # Spoken negation to the plan's written one where that makes the plan's word (风险没消除 → 风险未消除).
        with_concepts = _RE_SPOKEN_NOT.sub(lambda m: "未" if known("未" + m.group(1)) else m.group(0), with_concepts)
        normalised_query = apply_synonyms(with_concepts, self.synonyms)
        core = self._strip_filler(normalised_query)
        grams = self._weighted_grams(core)
        if not grams:
            return Match(query, Verdict.abstain, concepts=hits)

        total = sum(grams.values())
        unknown = sum(w for (_, pk), w in grams.items() if pk not in self._idf)
        scores: dict[int, float] = defaultdict(float)
        common = []
        for (ck, pk), idf in grams.items():
            if len(self._sounds.get(pk, _NO_POSTINGS)[0]) > self._common:
                common.append((ck, pk, idf))
            else:
                self._add(scores, ck, pk, idf)
        if common and not scores:
            for ck, pk, idf in common:
                self._add(scores, ck, pk, idf)
        elif common:
            # Pairs found in many entries only add to the best entries rarer pairs found: exact for those.
            found = heapq.nlargest(COMMON_PAIR_CANDIDATES, scores, key=scores.__getitem__)
            for ck, pk, idf in common:
                sounds, chars = self._sounds[pk], self._chars.get(ck, _NO_POSTINGS)
                for i in found:
                    w = max(_weight(sounds, i) * PINYIN_ONLY, _weight(chars, i))
                    if w:
                        scores[i] += idf * w
        if not scores:
            return Match(query, Verdict.abstain, concepts=hits)

        intents = {name for name, rx in _INTENT_WORDS.items() if rx.search(normalised_query)}
        qpinyin = _pinyin_string(core)
        qsounds = {pk for _, pk in grams}
        shortlist = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:12]
        ranked: list[Candidate] = []
        for i, raw in shortlist:
            named = self._name_cover(i, qpinyin, qsounds)
            # When the question names this entry (most pairs of a title or alias of two pairs or more), words the
            # plan never uses are phrasing (采用, 咋整), not a sign of another topic: they weigh half.
            names_it = any(len(sounds) >= 2 and len(sounds & qsounds) >= NAMED_COVER * len(sounds)
                           for _, sounds in self._names[i])
            coverage = raw / (total - UNKNOWN_WHEN_NAMED * unknown if names_it else total)
            score = 0.75 * coverage + 0.25 * named * coverage ** 0.5
            if intents & self._has[i]:
                score += INTENT_BONUS
            ranked.append(Candidate(self.entries[i], round(score, 4)))
        ranked.sort(key=lambda c: c.score, reverse=True)
        ranked = ranked[:limit]
        top = ranked[0].score
        if top < ABSTAIN_BELOW and not (top >= CONCEPT_FLOOR and self._holds_concept(ranked[0].entry, hits)):
            return Match(query, Verdict.abstain, ranked, hits)
        if len(grams) == 1 and top < NAMED_AT:
            # One pair only (中国, 第三, a bare number): it must name an entry (title or alias), not merely occur
            # somewhere in an answer.
            return Match(query, Verdict.abstain, ranked, hits)
        figure = _figure_check(normalised_query)
        if figure is not None:
            # Only an entry as good as the best may stand in for it: a weaker entry that happens to hold a figure
            # is about something else (就业奖补多少钱 must not get 产业奖补's 1000元).
            holding = [c for c in ranked if c.score > top - AMBIGUITY_GAP and figure(c.entry)]
            if not holding:
                return Match(query, Verdict.no_figure, ranked, hits)
            ranked.remove(holding[0])
            ranked.insert(0, holding[0])
            top = holding[0].score
        close = len(ranked) > 1 and top - ranked[1].score < AMBIGUITY_GAP
        verdict = Verdict.unsure if close or top < CONFIDENT_AT else Verdict.answer
        return Match(query, verdict, ranked, hits)


def _figure_check(question: str):
    """Return a test ``entry -> bool`` for "does this entry state the figure asked for", or None when the
    question asks for no specific amount, rate or count."""
    if _ASKS_MONEY.search(question):
        return lambda e: any(f.kind is FactKind.money for f in e.facts)
    rate = _ASKS_RATE.search(question)
    if rate:
        word = rate.group(1) + "率" if rate.group(1) else None
        if word and "\u4e00" <= word[0] <= "\u9fff":
            return lambda e: word in e.answer   # 确权率 → "不低于全省平均值" is the plan's answer
        return lambda e: any(f.kind is FactKind.percent for f in e.facts)
    if _ASKS_LEVEL.search(question):
        return lambda e: any(f.kind in _LEVEL_KINDS for f in e.facts)
    if _ASKS_DURATION.search(question):
        return lambda e: bool(_DURATION_IN_ANSWER.search(e.answer))
    count = _ASKS_COUNT.search(question)
    if count:
        unit = count.group(1)
        unit = "(?:人|名|位)" if unit == "人" else unit   # 一名劳动力 counts people too
        rx = re.compile(_NUMBER_BEFORE + r"[^，,。；;]{0,4}?" + unit)
        return lambda e: bool(rx.search(e.answer))
    return None


_NO_POSTINGS: tuple[array, array] = (array("I"), array("f"))


def _postings(items: list[tuple[int, float]]) -> tuple[array, array]:
    """Pack (entry number, weight) pairs, entry numbers ascending, into two arrays."""
    return array("I", (i for i, _ in items)), array("f", (w for _, w in items))


def _weight(postings: tuple[array, array], i: int) -> float:
    """Return entry ``i``'s weight in ``postings`` (0.0 when absent), by binary search."""
    ids, weights = postings
    k = bisect_left(ids, i)
    return weights[k] if k < len(ids) and ids[k] == i else 0.0
