"""Measuring the interview grader against a careful human assessor.

A measurement set (``tests/data/interview_answers.yaml``) holds typed answers to the shipped interview questions,
each with the key points a careful human credits. :func:`measure` grades every answer with
:func:`bot.practice.grading.grade_interview` and counts, point by point, where the grader agrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.kernel import figures
from bot.kernel.models import InterviewQuestion
from bot.practice.grading import grade_interview


@dataclass
class Disagreement:
    """One key point graded otherwise than the human did: the question id, the answer, the point, what the human
    said (``human``: credited or not) and the answer's ``kind`` in the set (paraphrase, negation …)."""

    question: str
    kind: str
    answer: str
    point: str
    human: bool


@dataclass
class Agreement:
    """The result of :func:`measure`: ``points`` graded, ``agreed`` (graded as the human did), ``wrong_figures``
    (points holding a figure that the grader credited and the human did not) and every disagreement."""

    answers: int = 0
    points: int = 0
    agreed: int = 0
    wrong_figures: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of points graded as the human did (0–1)."""
        return self.agreed / self.points if self.points else 0.0

    def line(self) -> str:
        """One line: ``answers=N points=N agreement=0.xxx wrong_figures_credited=N``."""
        return (f"answers={self.answers} points={self.points} agreement={self.rate:.3f} "
                f"wrong_figures_credited={self.wrong_figures}")


def load_cases(path: Path) -> list[dict]:
    """Read a measurement set: a YAML mapping with ``answers``, each ``{question, kind, answer, covered}``.

    Raises:
        ValueError: when the file does not have that shape.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cases = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise ValueError(f"{path}: expected a mapping with a list `answers`")
    return cases


def measure(questions: list[InterviewQuestion], cases: list[dict]) -> Agreement:
    """Grade every case and compare point by point with the human's ``covered`` list.

    Args:
        questions: the interview questions (``kb.interview``); a case naming another id raises KeyError.
        cases: from :func:`load_cases`.
    Returns:
        An :class:`Agreement`.
    """
    by_id = {q.id: q for q in questions}
    result = Agreement()
    for case in cases:
        question = by_id[case["question"]]
        human = set(case.get("covered") or [])
        grade = grade_interview(question, str(case["answer"]))
        credited = {p.point for p in grade.covered}
        result.answers += 1
        for point in question.key_points:
            result.points += 1
            mine, theirs = point.point in credited, point.point in human
            if mine == theirs:
                result.agreed += 1
                continue
            if mine and figures.values(point.point):
                result.wrong_figures += 1
            result.disagreements.append(Disagreement(question.id, str(case.get("kind", "")), str(case["answer"]),
                                                     point.point, theirs))
    return result
