"""Who is ready for the familiarity interview: the rule is data (``config/readiness.yaml``), every verdict explains
itself.

A person is **ready** when every check of the rule passes:

1. they started the bot (a roster person who never used their invite link is the least ready of all);
2. they practised within the last ``window_days`` days;
3. they answered at least ``min_answered`` distinct quiz questions of their role (all of them if the role has
   fewer);
4. of their role's questions they answered, at least ``min_accuracy`` were right on the latest attempt;
5. optionally, at least ``min_role_coverage`` of all their role's questions are right on the latest attempt;
6. optionally, a mock interview scored at least ``interview.min_score`` within ``interview.window_days`` days
   (skipped, and said so, while the database has no mock-interview table).

A question belongs to a role when the role is among the question's ``roles``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .knowledge import PROJECT_ROOT
from .yamlfile import load_model

DEFAULT_READINESS = PROJECT_ROOT / "config" / "readiness.yaml"

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class InterviewRule(_Strict):
    """The optional mock-interview check: the best ``score_column`` (0–100) of the person's rows in ``table``
    whose ``time_column`` (UTC ISO text) lies within ``window_days`` days must reach ``min_score``."""

    min_score: float = Field(ge=0, le=100)
    window_days: int = Field(default=14, ge=1, le=366)
    table: Identifier = "mock_interviews"
    score_column: Identifier = "score"
    time_column: Identifier = "finished_at"


class ReadinessRule(_Strict):
    """``config/readiness.yaml``. ``visit_date`` is the day the assessors arrive (local date, UTC+8)."""

    visit_date: date
    visit_label: str = "省后评估组进驻"
    window_days: int = Field(default=14, ge=1, le=366)
    practised_days: int = Field(default=7, ge=1, le=366)
    min_answered: int = Field(default=20, ge=0)
    min_accuracy: float = Field(default=0.8, ge=0, le=1)
    min_role_coverage: float | None = Field(default=None, ge=0, le=1)
    interview: InterviewRule | None = None

    def describe(self) -> str:
        """Return the rule in one Chinese paragraph (shown in reports)."""
        parts = [f"近 {self.window_days} 天内练习过", f"本角色题目至少答过 {self.min_answered} 道（不足则全部）",
                 f"答过的本角色题目最近一次作答正确率 ≥ {self.min_accuracy:.0%}"]
        if self.min_role_coverage is not None:
            parts.append(f"本角色全部题目中最近一次答对的 ≥ {self.min_role_coverage:.0%}")
        if self.interview is not None:
            parts.append(f"近 {self.interview.window_days} 天模拟访谈最高分 ≥ {self.interview.min_score:g}")
        return "合格标准：" + "；".join(parts) + "。"


def load_rule(path: str | Path | None = None) -> ReadinessRule:
    """Load the readiness rule from ``path``, else $SHUXI_READINESS, else ``config/readiness.yaml``.

    Raises:
        bot.core.yamlfile.DataFileError: the file is missing keys, has unknown ones, or wrong values (every
            problem with its line).
        FileNotFoundError: no such file.
    """
    path = Path(path or os.environ.get("SHUXI_READINESS") or DEFAULT_READINESS)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: readiness rule not found")
    return load_model(path, ReadinessRule)


@dataclass(frozen=True)
class Check:
    """One part of a verdict: ``ok`` (None when the check was skipped) and the Chinese sentence explaining it."""

    ok: bool | None
    text: str


@dataclass(frozen=True)
class Progress:
    """What the answer log says about one person, as the rule needs it.

    ``started``: bound or registered; ``answered``/``right``: distinct role questions answered / right on the
    latest attempt; ``role_total``: questions the role has; ``last_answer_at``: UTC ISO text or None;
    ``interview_best``: best mock-interview score in the window, None if none; ``interview_available``: whether
    the database has the mock-interview table.
    """

    started: bool
    answered: int = 0
    right: int = 0
    role_total: int = 0
    last_answer_at: str | None = None
    interview_best: float | None = None
    interview_available: bool = False


@dataclass(frozen=True)
class Verdict:
    """``ready`` and every :class:`Check`, in the rule's order; ``reasons`` are the failed checks' sentences;
    ``started`` is False for a roster person who never used the bot."""

    ready: bool
    checks: list[Check] = field(default_factory=list)
    started: bool = True

    @property
    def reasons(self) -> list[str]:
        """The sentences of the failed checks (empty when ready)."""
        return [c.text for c in self.checks if c.ok is False]

    @property
    def score(self) -> float:
        """A number to sort by, lowest least ready: -1 never started, else the share of checks passed (0–1)."""
        if not self.started:
            return -1.0
        counted = [c for c in self.checks if c.ok is not None]
        return sum(bool(c.ok) for c in counted) / max(1, len(counted))


def evaluate(rule: ReadinessRule, progress: Progress, since_window: str) -> Verdict:
    """Judge one person.

    Args:
        rule: the readiness rule.
        progress: the person's figures (see :class:`Progress`).
        since_window: UTC ISO time ``window_days`` ago; a last answer at or after it counts as recent.
    Returns:
        the verdict with one check per part of the rule.
    """
    if not progress.started:
        return Verdict(False, [Check(False, "从未使用机器人（名册中有此人，但邀请链接还没用过）")], started=False)
    checks = [Check(True, "已开始使用")]
    if progress.last_answer_at is None:
        checks.append(Check(False, "还没有做过练习"))
    elif progress.last_answer_at >= since_window:
        checks.append(Check(True, f"近 {rule.window_days} 天练习过（最近 {progress.last_answer_at[:10]}）"))
    else:
        checks.append(Check(False, f"近 {rule.window_days} 天没有练习（最近一次 {progress.last_answer_at[:10]}）"))
    need = min(rule.min_answered, progress.role_total)
    checks.append(Check(progress.answered >= need,
                        f"本角色题目答过 {progress.answered}/{progress.role_total} 道（要求至少 {need} 道）"))
    if progress.answered:
        acc = progress.right / progress.answered
        checks.append(Check(acc >= rule.min_accuracy,
                            f"最近一次作答正确率 {acc:.0%}（{progress.right}/{progress.answered}，要求 ≥ {rule.min_accuracy:.0%}）"))
    else:
        checks.append(Check(False, f"正确率无从计算（要求 ≥ {rule.min_accuracy:.0%}）"))
    if rule.min_role_coverage is not None:
        cover = progress.right / progress.role_total if progress.role_total else 0.0
        checks.append(Check(cover >= rule.min_role_coverage,
                            f"本角色全部 {progress.role_total} 道题中答对 {progress.right} 道（{cover:.0%}，"
                            f"要求 ≥ {rule.min_role_coverage:.0%}）"))
    if rule.interview is not None:
        if not progress.interview_available:
            checks.append(Check(None, "模拟访谈功能尚未启用，本项不计"))
        elif progress.interview_best is None:
            checks.append(Check(False, f"近 {rule.interview.window_days} 天没有模拟访谈"
                                       f"（要求 ≥ {rule.interview.min_score:g} 分）"))
        else:
            checks.append(Check(progress.interview_best >= rule.interview.min_score,
                                f"近 {rule.interview.window_days} 天模拟访谈最高 {progress.interview_best:g} 分"
                                f"（要求 ≥ {rule.interview.min_score:g} 分）"))
    return Verdict(all(c.ok is not False for c in checks), checks)
