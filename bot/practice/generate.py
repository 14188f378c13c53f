"""Questions made from the knowledge base's facts, so every threshold, date and count is drilled.

For each fact of an entry (a percent, amount, score, date or count stated in its answer, see
:class:`bot.kernel.models.Fact`) two questions are made from the sentence that states it:

* a fill-in question: the sentence with the figure blanked (``脱贫人口小额信贷逾期率低于____。``);
* a single-choice question: the same blank with the figure and two or three distractors of the same kind.

What a teacher would sign off (``tests/test_generated_questions.py`` walks every question):

* the answer is not shown before it is asked: the stem and the entry title above it hold no figure equal to the
  answer (a title's bracketed note that states it is left out; a stem that states it elsewhere is cut to the
  clauses around the blank, or the question is not made);
* a stem is one whole sentence: cut at 。！？ and at ； only outside brackets, brackets balanced, ending in 。;
* "方案原文" labels only the entry's ``source.quote`` (checked against the plan by the validator); other text of
  an answer (curators' notes) is labelled 要点;
* distractors have the answer's shape (``共访谈#人``), are figures of that shape the knowledge base states, else
  round numbers near the answer; counts and scores stay whole numbers, within a third to three times the answer
  and within the range the knowledge base states for that unit (``#分``: 20–1000); dates are only dates stated;
* every question carries its ``fact`` (the fact's label and figure), so a practice round asks a fact once.

The source of each question is its entry; nothing is invented beyond the distractors, which are wrong by
construction (they differ from the figure the plan states in that sentence).
"""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal

from bot.kernel import figures
from bot.kernel.models import Entry, Fact, FactKind, QuestionType, QuizQuestion
from bot.qa.knowledge import KnowledgeBase

_NUMBER = re.compile(figures.NUMBER_PATTERN)
BLANK = "____"
MAX_QUESTION = 250
MAX_EXPLANATION = 200
#: Opening and closing brackets and quotes, pairwise.
OPENING, CLOSING = "（(【“《「<", "）)】”》」>"
_ENDS = "。！？"
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: A stem needs this many Chinese characters besides the blank to say what it asks.
MIN_CONTEXT = 8
#: Distractors lie within this factor of the answer (no 共300个小项 for 30, no 1000分 for 50).
MAX_FACTOR = 3


def balanced(text: str) -> bool:
    """True when every bracket and quote of ``text`` (（）【】“”《》…) is closed in order."""
    stack: list[str] = []
    for c in text:
        if c in OPENING:
            stack.append(CLOSING[OPENING.index(c)])
        elif c in CLOSING:
            if not stack or stack.pop() != c:
                return False
    return not stack


def _split(text: str, marks: str) -> list[str]:
    """Cut ``text`` after each of ``marks`` that is outside brackets; the pieces keep their marks."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in OPENING:
            depth += 1
        elif c in CLOSING:
            depth = max(0, depth - 1)
        elif c in marks and depth == 0:
            out.append(text[start:i + 1])
            start = i + 1
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def sentences(answer: str) -> list[str]:
    """Return the sentences of ``answer``: cut at 。！？ and at ；/; outside brackets (a list item of the plan)."""
    return _split(answer, _ENDS + "；;")


def whole(text: str) -> str:
    """End a clause as a sentence: a trailing ；，、： becomes 。, a missing end mark is added."""
    text = text.rstrip("；;，,、：:")
    stripped = text.rstrip(CLOSING)
    return text if stripped.endswith(tuple(_ENDS)) else text + "。"


def _answer_figures(text: str) -> list[figures.Figure]:
    return figures.figures(text, dates=True)


def shows(answer: str, text: str) -> bool:
    """True when ``text`` states the figure ``answer`` (its text, or the same run of figures by value and unit:
    ``75户`` in ``两类各75户`` for ``脱贫户75户``); a text with no figure is looked for as it is written."""
    if answer in text:
        return True
    want = _answer_figures(answer)
    if not want:
        return False
    got = _answer_figures(text)
    return any(all(figures.same_figure(w, g) for w, g in zip(want, got[i:i + len(want)]))
               for i in range(len(got) - len(want) + 1))


def _title(title: str, answer: str) -> str | None:
    """The entry title to show above a question on ``answer``: a bracketed note that states it is left out; None
    when the title's own words state it."""
    head, notes, depth, part = "", [], 0, ""
    for c in title:
        if c in "（(" and depth == 0:
            depth, part = 1, ""
            continue
        if c in OPENING:
            depth += bool(depth)
        if c in "）)" and depth == 1:
            depth = 0
            notes.append(part)
            continue
        if c in CLOSING and depth > 1:
            depth -= 1
        if depth:
            part += c
        else:
            head += c
    if depth or shows(answer, head):
        return None
    kept = [n for n in notes if not shows(answer, n)]
    return head + "".join(f"（{n}）" for n in kept)


def _stem(sentence: str, answer: str) -> str | None:
    """The sentence with ``answer`` blanked, whole and balanced, not stating the answer anywhere else; else the
    shortest run of its clauses around the blank that is; None when there is none."""
    blanked = sentence.replace(answer, BLANK, 1)
    clauses = _split(blanked, "，,；;")
    at = next(i for i, c in enumerate(clauses) if BLANK in c)
    windows = [(0, len(clauses)), (at - 1, at + 1), (at, at + 2), (at - 1, at + 2), (at, at + 1)]
    for start, end in windows:
        if start < 0 or end > len(clauses):
            continue
        text = whole("".join(clauses[start:end]))
        if (balanced(text) and not shows(answer, text.replace(BLANK, ""))
                and len(_HAN.findall(text.replace(BLANK, ""))) >= MIN_CONTEXT):
            return text
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _explanation(entry: Entry, fact: Fact, sentence: str) -> str:
    """The explanation shown after answering: the answer, then the plan's words (方案原文, only the entry's
    ``source.quote`` when it states the figure) or the entry's sentence (要点)."""
    quote = entry.source.quote
    if _squash(fact.text) in _squash(quote) or _squash(sentence) in _squash(quote):
        text = f"答案：{fact.text}。方案原文：{quote}"
    else:
        text = f"答案：{fact.text}。要点：{sentence}"
    return text if len(text) <= MAX_EXPLANATION else text[:MAX_EXPLANATION - 1] + "…"


def fact_key(fact: Fact) -> str:
    """The identity of a fact across entries (``责任落实方面指标数=6项指标``): a round asks each once."""
    return f"{_squash(fact.label)}={_squash(fact.text)}"


# ------------------------------------------------------------------------------------------------ distractors
def _shape(text: str) -> str:
    """A figure's shape: its text with each number as ``#`` (``共访谈#人``, ``#月#日``)."""
    return _NUMBER.sub("#", figures.to_digits(text, keep_wan=True))


def _stated(shape: str, texts: list[str]) -> list[str]:
    """Every figure of ``shape`` stated in ``texts``, in order, once each."""
    pattern = re.compile(r"(?<![\d.])" + figures.NUMBER_PATTERN.join(map(re.escape, shape.split("#"))) + r"(?![\d.])")
    out: list[str] = []
    for text in texts:
        for m in pattern.finditer(figures.to_digits(text, keep_wan=True)):
            if m.group() not in out:
                out.append(m.group())
    return out


def _suffix(shape: str) -> str:
    """The unit part of a one-number shape: ``#个小项`` for ``共#个小项``."""
    return shape[shape.index("#"):]


def _round(value: Decimal, whole_number: bool) -> Decimal | None:
    """A round number near ``value``: whole numbers for counts and scores (to 5 from 20, to 10 from 100)."""
    if value <= 0:
        return None
    if not whole_number:
        return value.quantize(Decimal("0.1")).normalize()
    step = 10 if value >= 100 else 5 if value >= 20 else 1
    return Decimal(int(round(value / step)) * step)


def _plausible(value: Decimal, right: Decimal, low: Decimal, high: Decimal, percent: bool) -> bool:
    return (value != right and right / MAX_FACTOR <= value <= right * MAX_FACTOR and low <= value <= high
            and not (percent and value > 100))


def distractors(fact: Fact, answers: list[str], rng: random.Random) -> list[str]:
    """Up to three wrong figures shaped like ``fact.text``.

    Args:
        fact: the fact asked for.
        answers: every answer text of the knowledge base (where figures of the same shape are looked up).
        rng: for the order among equally good candidates.
    Returns:
        Dates: other dates of the same shape the knowledge base states. Other figures with one number: figures of
        the same shape it states, then round numbers near the answer; all within :data:`MAX_FACTOR` of the answer,
        whole when the answer is (or stated), and within the range stated for the unit. Empty for a fact without
        digits or with several numbers that is no date.
    """
    shape = _shape(fact.text)
    count = shape.count("#")
    # 至少有一名劳动力 is not offered beside 至少有2名劳动力: the options would differ by how they are written.
    if count == 0 or not _NUMBER.search(fact.text) or (fact.kind is not FactKind.date and count > 1):
        return []
    stated = [s for s in _stated(shape, answers) if _shape(s) == shape and s != figures.to_digits(fact.text, keep_wan=True)]
    if fact.kind is FactKind.date:
        rng.shuffle(stated)
        return stated[:3]
    prefix, suffix = shape[:shape.index("#")], _suffix(shape)
    right = Decimal(_NUMBER.search(figures.to_digits(fact.text, keep_wan=True)).group())
    unit_values = [Decimal(_NUMBER.search(s).group()) for s in _stated(suffix, answers)]
    low, high = (min(unit_values), max(unit_values)) if len(set(unit_values)) > 1 else (Decimal(0), right * MAX_FACTOR)
    percent = "%" in suffix
    whole_number = right == right.to_integral_value()
    chosen: list[Decimal] = []
    plan_values = [Decimal(_NUMBER.search(s).group()) for s in stated]
    plan_values.sort(key=lambda v: (abs(math.log(float(v) / float(right))) if v > 0 else 99, rng.random()))
    for v in plan_values:
        if v not in chosen and _plausible(v, right, low, high, percent) and len(chosen) < 3:
            chosen.append(v)
    near = [right * Decimal(f) for f in ("1.5", "0.5", "2", "0.8", "1.2", "0.6", "2.5")]
    near += [right + d for d in (1, -1, 2, 3, -2)]
    for raw in near:
        v = _round(raw, whole_number)
        if v is not None and v not in chosen and _plausible(v, right, low, high, percent) and len(chosen) < 3:
            chosen.append(v)
    return [prefix + suffix.replace("#", figures.text_of(v), 1) for v in chosen]


# ------------------------------------------------------------------------------------------------ questions
#: Generated questions per loaded knowledge base (by identity; the base is never changed once loaded), so the
#: quiz bank and every report share one generation (about a second for the real base).
_GENERATED: dict[tuple[int, int], tuple[KnowledgeBase, list[QuizQuestion]]] = {}


def questions_from_facts(kb: KnowledgeBase, seed: int = 2021) -> list[QuizQuestion]:
    """Return fill-in and single-choice questions for the facts of every entry (those a whole sentence can ask
    without showing the answer). Made once per knowledge base and seed; callers get a new list of the same
    (immutable) questions.

    Args:
        kb: the loaded knowledge base.
        seed: for distractor order (the result is the same for the same knowledge base).
    Returns:
        the questions, ids ``g.<n>.fill`` / ``g.<n>.pick`` in entry order (see :func:`_numbered`: ids stay put
        when a question is left out), each with ``generated=True`` and ``fact``.
    """
    cached = _GENERATED.get((id(kb), seed))
    if cached is None or cached[0] is not kb:
        cached = _GENERATED[(id(kb), seed)] = (kb, _generate(kb, seed))
    return list(cached[1])


def _generate(kb: KnowledgeBase, seed: int) -> list[QuizQuestion]:
    rng = random.Random(seed)
    answers = [e.answer for e in kb.entries]
    out: list[QuizQuestion] = []
    n = 0
    for entry in kb.entries:
        for fact in entry.facts:
            if not _numbered(entry.answer, fact.text):
                continue
            n += 1
            sentence = _sentence(entry.answer, fact.text)
            if sentence is not None:
                out += _pair(kb, entry, fact, sentence, n, answers, rng)
    return out


def _numbered(answer: str, text: str) -> bool:
    """Whether a fact gets a number ``n`` in the ids: as numbered since ids were first stored (the first clause up
    to 。；！？ that holds ``text`` holds it once), so a person's cards keep pointing at the same facts."""
    for clause in re.split(r"(?<=[。；！？;])", answer):
        if text in clause:
            return clause.count(text) == 1
    return False


def _sentence(answer: str, text: str) -> str | None:
    """The sentence of ``answer`` that states ``text`` once; a sentence too short to say what it asks
    (``11月20日前完成。``) is taken with the one before it."""
    parts = sentences(answer)
    for i, sentence in enumerate(parts):
        if text in sentence:
            if sentence.count(text) != 1:
                return None
            if len(_HAN.findall(sentence.replace(text, ""))) < MIN_CONTEXT and i > 0:
                sentence = parts[i - 1] + sentence
            return sentence
    return None


def _pair(kb: KnowledgeBase, entry: Entry, fact: Fact, sentence: str, n: int, answers: list[str],
          rng: random.Random) -> list[QuizQuestion]:
    body = _stem(sentence, fact.text)
    if body is None:
        return []
    title = _title(entry.title, fact.text)
    stem = (f"【{title}】" if title else "") + body
    if len(stem) > MAX_QUESTION:
        stem = body
    if len(stem) > MAX_QUESTION:
        return []
    indicator = kb.indicator_of(entry.id)
    common = {"explanation": _explanation(entry, fact, sentence), "entry": entry.id,
              "indicator": indicator.id if indicator else None, "roles": list(entry.roles), "generated": True,
              "fact": fact_key(fact)}
    questions = [QuizQuestion(id=f"g.{n}.fill", type=QuestionType.fillin, question=f"填空：{stem}",
                              answer=fact.text, **common)]
    wrong = distractors(fact, answers, rng)
    if len(wrong) >= 2:
        options = [fact.text, *wrong]
        rng.shuffle(options)
        questions.append(QuizQuestion(id=f"g.{n}.pick", type=QuestionType.single, question=f"选择：{stem}",
                                      options=options, answer=fact.text, **common))
    return questions
