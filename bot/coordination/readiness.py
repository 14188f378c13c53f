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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Callable

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.kernel.yamlfile import load_model
from bot.qa.knowledge import PROJECT_ROOT

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


class VillageRule(_Strict):
    """Village facts (村情, imported sheets) as must-know items: of the questions on the person's own village that
    their role must know, the share right on the latest attempt must reach ``min_accuracy``. Skipped for people
    whose village has no sheet or whose role must know no village field."""

    min_accuracy: float = Field(default=0.9, ge=0, le=1)


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
    village: VillageRule | None = None

    def describe(self) -> str:
        """Return the rule in one Chinese paragraph (shown in reports)."""
        parts = [f"近 {self.window_days} 天内练习过", f"本角色题目至少答过 {self.min_answered} 道（不足则全部）",
                 f"答过的本角色题目最近一次作答正确率 ≥ {self.min_accuracy:.0%}"]
        if self.min_role_coverage is not None:
            parts.append(f"本角色全部题目中最近一次答对的 ≥ {self.min_role_coverage:.0%}")
        if self.interview is not None:
            parts.append(f"近 {self.interview.window_days} 天模拟访谈最高分 ≥ {self.interview.min_score:g}")
        if self.village is not None:
            parts.append(f"本村村情（本角色须知的项）最近一次答对 ≥ {self.village.min_accuracy:.0%}")
        return "合格标准：" + "；".join(parts) + "。"


def load_rule(path: str | Path | None = None) -> ReadinessRule:
    """Load the readiness rule from ``path``, else $SHUXI_READINESS, else ``config/readiness.yaml``.

    Raises:
        bot.kernel.yamlfile.DataFileError: the file is missing keys, has unknown ones, or wrong values (every
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
    the database has the mock-interview table; ``village_total``/``village_right``: the person's own village's
    must-know questions, and how many are right on the latest attempt.
    """

    started: bool
    answered: int = 0
    right: int = 0
    role_total: int = 0
    last_answer_at: str | None = None
    interview_best: float | None = None
    interview_available: bool = False
    village_total: int = 0
    village_right: int = 0


class Verdict:
    """``ready`` and every :class:`Check`, in the rule's order; ``reasons`` are the failed checks' sentences;
    ``started`` is False for a roster person who never used the bot.

    Args:
        ready: whether every check passed (or was skipped).
        checks: the checks, or None when ``lazy`` is given.
        started: False for a roster person who never used the bot.
        lazy: ``(ok, make text)`` per check: the sentences are only written when :attr:`checks` or
            :attr:`reasons` is first read (a city report of 10 000 people needs the verdicts, not the words).
    """

    __slots__ = ("ready", "started", "_checks", "_lazy")

    def __init__(self, ready: bool, checks: list[Check] | None = None, started: bool = True, *,
                 lazy: list[tuple[bool | None, Callable[[], str]]] | None = None):
        self.ready = ready
        self.started = started
        self._checks = None if lazy is not None else list(checks or [])
        self._lazy = lazy

    @property
    def checks(self) -> list[Check]:
        """Every check with its sentence, in the rule's order."""
        if self._checks is None:
            self._checks = [Check(ok, text()) for ok, text in self._lazy or []]
            self._lazy = None
        return self._checks

    @property
    def reasons(self) -> list[str]:
        """The sentences of the failed checks (empty when ready)."""
        return [c.text for c in self.checks if c.ok is False]

    @property
    def score(self) -> float:
        """A number to sort by, lowest least ready: -1 never started, else the share of checks passed (0–1)."""
        if not self.started:
            return -1.0
        oks = [ok for ok, _ in self._lazy] if self._lazy is not None else [c.ok for c in self.checks]
        counted = [ok for ok in oks if ok is not None]
        return sum(bool(ok) for ok in counted) / max(1, len(counted))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.ready, self.started, self.checks) == (other.ready, other.started, other.checks)

    def __repr__(self) -> str:
        return f"Verdict(ready={self.ready!r}, checks={self.checks!r}, started={self.started!r})"


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
    # (ok, sentence) per check; the sentences are written only when someone reads them (see Verdict).
    checks: list[tuple[bool | None, Callable[[], str]]] = [(True, lambda: "已开始使用")]
    last = progress.last_answer_at
    if last is None:
        checks.append((False, lambda: "还没有做过练习"))
    elif last >= since_window:
        checks.append((True, lambda: f"近 {rule.window_days} 天练习过（最近 {last[:10]}）"))
    else:
        checks.append((False, lambda: f"近 {rule.window_days} 天没有练习（最近一次 {last[:10]}）"))
    need = min(rule.min_answered, progress.role_total)
    checks.append((progress.answered >= need,
                   lambda: f"本角色题目答过 {progress.answered}/{progress.role_total} 道（要求至少 {need} 道）"))
    if progress.answered:
        acc = progress.right / progress.answered
        checks.append((acc >= rule.min_accuracy,
                       lambda: f"最近一次作答正确率 {acc:.0%}（{progress.right}/{progress.answered}，"
                               f"要求 ≥ {rule.min_accuracy:.0%}）"))
    else:
        checks.append((False, lambda: f"正确率无从计算（要求 ≥ {rule.min_accuracy:.0%}）"))
    if rule.min_role_coverage is not None:
        cover = progress.right / progress.role_total if progress.role_total else 0.0
        checks.append((cover >= rule.min_role_coverage,
                       lambda: f"本角色全部 {progress.role_total} 道题中答对 {progress.right} 道（{cover:.0%}，"
                               f"要求 ≥ {rule.min_role_coverage:.0%}）"))
    interview = rule.interview
    if interview is not None:
        best = progress.interview_best
        if not progress.interview_available:
            checks.append((None, lambda: "模拟访谈功能尚未启用，本项不计"))
        elif best is None:
            checks.append((False, lambda: f"近 {interview.window_days} 天没有模拟访谈"
                                          f"（要求 ≥ {interview.min_score:g} 分）"))
        else:
            checks.append((best >= interview.min_score,
                           lambda: f"近 {interview.window_days} 天模拟访谈最高 {best:g} 分"
                                   f"（要求 ≥ {interview.min_score:g} 分）"))
    village = rule.village
    if village is not None:
        total, right = progress.village_total, progress.village_right
        if not total:
            checks.append((None, lambda: "本村没有导入村情表（或本角色无须知项），本项不计"))
        else:
            checks.append((right / total >= village.min_accuracy,
                           lambda: f"本村村情 {total} 项答对 {right} 项（{right / total:.0%}，"
                                   f"要求 ≥ {village.min_accuracy:.0%}）"))
    return Verdict(all(ok is not False for ok, _ in checks), started=True, lazy=checks)
