"""Questions made from the knowledge base's facts, so every threshold, date and count is drilled.

For each fact of an entry (a percent, amount, score, date or count stated in its answer, see
:class:`bot.kernel.models.Fact`) two questions are made from the sentence that states it:

* a fill-in question: the sentence with the figure blanked (``脱贫人口小额信贷逾期率低于____。``);
* a single-choice question: the same blank with the figure and three plausible distractors — other figures of
  the same kind stated in the plan (sibling thresholds), else nearby numbers.

The source of each question is its entry; nothing is invented beyond the distractors, which are wrong by
construction (they differ from the figure the plan states in that sentence).
"""

from __future__ import annotations

import random
import re

from bot.kernel import figures
from bot.kernel.models import Entry, Fact, FactKind, QuestionType, QuizQuestion
from bot.qa.knowledge import KnowledgeBase

_SENTENCE_END = re.compile(r"(?<=[。；！？;])")
_NUMBER = re.compile(figures.NUMBER_PATTERN)
BLANK = "____"
MAX_QUESTION = 250
MAX_EXPLANATION = 200


def _sentence(answer: str, text: str) -> str | None:
    """Return the sentence (or clause) of ``answer`` that states ``text``, without the entry's lead-in notes."""
    for sentence in _SENTENCE_END.split(answer):
        if text in sentence:
            return sentence.strip()
    return None


def _nearby(text: str, rng: random.Random) -> list[str]:
    """Return numbers near the one in ``text``, in the same form (0.5% → 1%, 0.3%, 5%)."""
    m = _NUMBER.search(text)
    if not m:
        return []
    value = float(m.group())
    out = []
    for factor in (2, 0.5, 10, 1.5, 3, 0.8, 1.2):
        v = value * factor
        shown = f"{v:g}" if "." in m.group() or v != int(v) else str(int(v))
        candidate = text[:m.start()] + shown + text[m.end():]
        if "%" in text and v > 100:
            continue
        if candidate != text and candidate not in out:
            out.append(candidate)
    rng.shuffle(out)
    return out


def _shape(text: str) -> tuple[bool, str]:
    """What a figure looks like: does it start with a digit, and what follows its last digit (分, %, 日 …)."""
    last = max((m.end() for m in _NUMBER.finditer(text)), default=-1)
    return text[:1].isdigit(), text[last:] if last >= 0 else "?"


def _distractors(fact: Fact, siblings: list[str], rng: random.Random) -> list[str]:
    """Up to three wrong figures shaped like the right one: other figures of the plan, else nearby numbers."""
    shape = _shape(fact.text)
    numbers = _NUMBER.findall(fact.text)
    # A distractor must state a different number: "脱贫户75户" and "严重困难户75户" are both true in the plan.
    pool = [s for s in siblings if _NUMBER.search(s) and _shape(s) == shape and _NUMBER.findall(s) != numbers]
    rng.shuffle(pool)
    picked: list[str] = []
    # A date moved by a factor is no date (20月底); dates take only other dates the plan states.
    for s in pool + ([] if fact.kind is FactKind.date else _nearby(fact.text, rng)):
        if s not in picked and s != fact.text and len(picked) < 3:
            picked.append(s)
    return picked


def questions_from_facts(kb: KnowledgeBase, seed: int = 2021) -> list[QuizQuestion]:
    """Return fill-in and single-choice questions for every fact of every entry.

    Args:
        kb: the loaded knowledge base.
        seed: for distractor order (the result is the same for the same knowledge base).
    Returns:
        the questions, ids ``g.<n>.fill`` / ``g.<n>.pick`` in entry order, each with ``generated=True``.
    """
    rng = random.Random(seed)
    by_kind: dict[FactKind, list[str]] = {}
    for e in kb.entries:
        for f in e.facts:
            by_kind.setdefault(f.kind, [])
            if f.text not in by_kind[f.kind]:
                by_kind[f.kind].append(f.text)
    out: list[QuizQuestion] = []
    n = 0
    for entry in kb.entries:
        for fact in entry.facts:
            sentence = _sentence(entry.answer, fact.text)
            if sentence is None or sentence.count(fact.text) != 1:
                continue
            n += 1
            out += _pair(kb, entry, fact, sentence, n, by_kind.get(fact.kind, []), rng)
    return out


def _pair(kb: KnowledgeBase, entry: Entry, fact: Fact, sentence: str, n: int, siblings: list[str],
          rng: random.Random) -> list[QuizQuestion]:
    blanked = sentence.replace(fact.text, BLANK)
    # The title gives the context; where it states the figure too, it is blanked there as well.
    stem = f"【{entry.title.replace(fact.text, BLANK)}】{blanked}"[:MAX_QUESTION]
    explanation = f"方案原文：{sentence}"[:MAX_EXPLANATION]
    indicator = kb.indicator_of(entry.id)
    common = {"explanation": explanation, "entry": entry.id, "indicator": indicator.id if indicator else None,
              "roles": list(entry.roles), "generated": True}
    questions = [QuizQuestion(id=f"g.{n}.fill", type=QuestionType.fillin, question=f"填空：{stem}",
                              answer=fact.text, **common)]
    wrong = _distractors(fact, siblings, rng)
    if len(wrong) >= 2:
        options = [fact.text, *wrong]
        rng.shuffle(options)
        questions.append(QuizQuestion(id=f"g.{n}.pick", type=QuestionType.single, question=f"选择：{stem}",
                                      options=options, answer=fact.text, **common))
    return questions
