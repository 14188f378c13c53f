"""What the question bank covers: indicators, thresholds (facts) and roles — ``python -m bot coverage``."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kernel.models import QuizQuestion
from bot.kernel.roles import Role
from bot.practice.spaced import Curriculum
from bot.qa.knowledge import KnowledgeBase


@dataclass
class Coverage:
    """Covered and uncovered items; each list holds ids (indicators), ``entry id: fact`` (thresholds) or role ids."""

    indicators: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    thresholds: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    roles: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))

    def summary(self) -> str:
        """Return ``indicators=X/21 thresholds=Y/Z roles=R/S``."""
        def frac(pair: tuple[list[str], list[str]]) -> str:
            return f"{len(pair[0])}/{len(pair[0]) + len(pair[1])}"
        return f"indicators={frac(self.indicators)} thresholds={frac(self.thresholds)} roles={frac(self.roles)}"


def coverage(kb: KnowledgeBase, bank: dict[str, QuizQuestion]) -> Coverage:
    """Measure what ``bank`` (curated and generated questions) covers.

    * an indicator is covered when at least one question drills it;
    * a threshold (a fact of an entry: percent, amount, score, date, count) when a question about that entry has it
      in its answer or explanation;
    * a role when its curriculum has practice questions and there are mock-interview questions for it.
    """
    cov = Coverage()
    drilled = {q.indicator for q in bank.values()}
    for ind in kb.indicators():
        cov.indicators[0 if ind.id in drilled else 1].append(ind.id)
    by_entry: dict[str, list[QuizQuestion]] = {}
    for q in bank.values():
        by_entry.setdefault(q.entry, []).append(q)
    for e in kb.entries:
        for f in e.facts:
            hit = any(f.text in q.answer_text or f.text in q.explanation for q in by_entry.get(e.id, []))
            cov.thresholds[0 if hit else 1].append(f"{e.id}: {f.text}")
    curriculum = Curriculum(kb, bank)
    for role in Role:
        ok = bool(curriculum.questions(role)) and any(role in q.roles for q in kb.interview) \
            and role in kb.curricula
        cov.roles[0 if ok else 1].append(role.value)
    return cov
