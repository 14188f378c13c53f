"""Who is ready for the familiarity interview: the rule is data (``config/readiness.yaml``), every verdict explains
itself.

A person is **ready** when every check of the rule passes:

1. they started the bot (a roster person who never used their invite link is the least ready of all);
2. they practised within the last ``window_days`` days;
3. they answered at least ``min_answered`` distinct quiz questions of their role (all of them if the role has
   fewer);
4. of their answers to their role's questions, at least ``min_accuracy`` were right — judged by the Wilson lower
   bound at ``accuracy_z`` (so 17 of 20 right is not yet proof of 80 %, 90 of 100 is), counting only answers of the
   last ``answer_max_age_days`` days (an answer from weeks ago says little about today), counting every attempt
   (``accuracy_over: attempts``), each question's first attempt ever when it is in that window (``first``: a retry
   after the explanation never counts) or its latest (``latest``); with ``accuracy_guessing`` the mark is what
   someone knowing exactly ``min_accuracy`` (m) would score on those answers, lucky guesses in (the interview is
   oral: nothing to pick from): the mean over the answers of m + (1 − m)·g, g the answer's chance of a right guess
   (:func:`bot.practice.quiz.guess_chance`);
5. optionally, at least ``min_role_coverage`` of all their role's questions are right on the latest attempt;
6. optionally, a mock interview within ``interview.window_days`` days (next step: /interview), and
7. its score (best, mean or latest: ``interview.score_of``) at least ``interview.min_score`` (a separate check
   with its own next step: practise the points missed, then /interview again). Both are skipped, and said so, while the database has no mock-interview table.

Every check carries the one thing to do next (``step``); :attr:`Verdict.next_step` is the first failed check's.

A question belongs to a role when the role is among the question's ``roles``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.kernel import clock
from bot.kernel.yamlfile import load_model
from bot.qa.knowledge import PROJECT_ROOT

DEFAULT_READINESS = PROJECT_ROOT / "config" / "readiness.yaml"

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_SCORE_OF = {"best": "最高分", "mean": "平均分", "latest": "最近一次得分"}


class InterviewRule(_Strict):
    """The optional mock-interview check: the ``score_of`` (``best``, ``mean`` or ``latest``) ``score_column``
    (0–100) of the person's rows in ``table`` whose ``time_column`` (UTC ISO text) lies within ``window_days`` days
    must reach ``min_score``. ``mean`` is the steadiest: retaking the interview until one lucky run passes does
    not make a person ready."""

    min_score: float = Field(ge=0, le=100)
    window_days: int = Field(default=14, ge=1, le=366)
    score_of: Literal["best", "mean", "latest"] = "best"
    table: Identifier = "mock_interviews"
    score_column: Identifier = "score"
    time_column: Identifier = "finished_at"


class VillageRule(_Strict):
    """Village facts (村情, imported sheets) as must-know items: of the questions on the person's own village that
    their role must know, the share right on the latest attempt must reach ``min_accuracy``. Skipped for people
    whose village has no sheet or whose role must know no village field."""

    min_accuracy: float = Field(default=0.9, ge=0, le=1)


class ReadinessRule(_Strict):
    """``config/readiness.yaml``. ``visit_date`` is the day the assessors arrive (local date, UTC+8); None until a
    coordinator sets it (``python -m bot visit-date YYYY-MM-DD`` or ``/visitdate``). ``accuracy_over``: what the
    accuracy check counts — ``latest``: each role question's latest attempt; ``attempts``: every answer to a role
    question (a question got wrong, then right after its explanation, counts once each: spaced repetition brings
    back what was answered wrong until it is right, so latest attempts alone overstate what a person knows);
    ``first``: each one's first attempt ever, when it is in the answer window. ``accuracy_guessing``: see the module
    docstring."""

    visit_date: date | None = None
    visit_label: str = "省后评估组进驻"
    window_days: int = Field(default=14, ge=1, le=366)
    practised_days: int = Field(default=7, ge=1, le=366)
    min_answered: int = Field(default=20, ge=0)
    min_accuracy: float = Field(default=0.8, ge=0, le=1)
    accuracy_z: float | None = Field(default=1.0, ge=0, le=4)
    answer_max_age_days: int | None = Field(default=None, ge=1, le=366)
    accuracy_over: Literal["latest", "attempts", "first"] = "latest"
    accuracy_guessing: bool = False
    min_role_coverage: float | None = Field(default=None, ge=0, le=1)
    interview: InterviewRule | None = None
    village: VillageRule | None = None

    def describe(self) -> str:
        """Return the rule in one Chinese paragraph (shown in reports)."""
        counted = {"attempts": "本角色题目每次作答的正确率", "first": "本角色题目每道题第一次作答的正确率",
                   "latest": "答过的本角色题目最近一次作答正确率"}[self.accuracy_over]
        notes = [n for n in (f"按 {self.answer_max_age_days} 天内的作答" if self.answer_max_age_days else "",
                             "选择题有猜对的机会，及格线按所答题目相应提高" if self.accuracy_guessing else "",
                             "按置信下限计，答得越多越可信" if self.accuracy_z else "") if n]
        parts = [f"近 {self.window_days} 天内练习过", f"本角色题目至少答过 {self.min_answered} 道（不足则全部）",
                 f"{counted} ≥ {self.min_accuracy:.0%}" + (f"（{'，'.join(notes)}）" if notes else "")]
        if self.min_role_coverage is not None:
            parts.append(f"本角色全部题目中最近一次答对的 ≥ {self.min_role_coverage:.0%}")
        if self.interview is not None:
            parts.append(f"近 {self.interview.window_days} 天做过模拟访谈")
            parts.append(f"模拟访谈{_SCORE_OF[self.interview.score_of]} ≥ {self.interview.min_score:g}")
        if self.village is not None:
            parts.append(f"本村村情（本角色须知的项）最近一次答对 ≥ {self.village.min_accuracy:.0%}")
        return "合格标准：" + "；".join(parts) + "。"


def set_visit_date(day: date, path: str | Path | None = None) -> Path:
    """Write ``visit_date: YYYY-MM-DD`` into the readiness rule file (``path``, else $SHUXI_READINESS, else
    ``config/readiness.yaml``), keeping every other line and comment, and check the file still loads.

    Returns:
        the file written.
    Raises:
        FileNotFoundError: no such file. DataFileError: the file was broken (it is then left as it was).
    """
    path = rule_path(path)
    old = path.read_text(encoding="utf-8")
    line = f"visit_date: {day.isoformat()}"
    new, count = re.subn(r"(?m)^visit_date:.*$", line, old)
    if not count:
        new = f"{line}\n{old}"
    path.write_text(new, encoding="utf-8")
    try:
        load_model(path, ReadinessRule)
    except Exception:
        path.write_text(old, encoding="utf-8")
        raise
    return path


def rule_path(path: str | Path | None = None) -> Path:
    """The rule file: ``path``, else $SHUXI_READINESS, else ``config/readiness.yaml``."""
    return Path(path or os.environ.get("SHUXI_READINESS") or DEFAULT_READINESS)


class SharedRule:
    """The one readiness rule that a running bot's features share (coordinator commands, reminders, ``/me``).

    A change made through :meth:`set` (``/visitdate``) is seen by every holder at once; when built with the
    rule's file, a change of that file on disk (``python -m bot visit-date`` from another process) is read at
    the next use of :attr:`rule` — a file that no longer loads is logged and the rule in use is kept.

    Args:
        rule: the rule now.
        path: the file it was loaded from (None: no file is watched).
    """

    def __init__(self, rule: ReadinessRule, path: str | Path | None = None):
        self._rule = rule
        self.path = Path(path) if path is not None else None
        self._text = self._read()

    def _read(self) -> str | None:
        # The text, not the modification time: two writes within the file system's clock tick look the same.
        try:
            return self.path.read_text(encoding="utf-8") if self.path is not None else None
        except OSError:
            return None

    @property
    def rule(self) -> ReadinessRule:
        """The rule in force (re-read when its file changed since it was last read)."""
        text = self._read()
        if text is not None and text != self._text:
            self._text = text
            try:
                self._rule = load_model(self.path, ReadinessRule)
            except Exception as exc:   # a half-edited file: keep judging by the rule in use
                logging.getLogger(__name__).warning("readiness rule %s not reloaded: %s", self.path, exc)
        return self._rule

    def set(self, rule: ReadinessRule) -> None:
        """Put ``rule`` in force for every holder (the file, if any, is assumed to say the same already)."""
        self._rule = rule
        self._text = self._read()


def shared(rule: "ReadinessRule | SharedRule") -> SharedRule:
    """``rule`` itself when it is already a :class:`SharedRule`, else a new one holding it (no file watched)."""
    return rule if isinstance(rule, SharedRule) else SharedRule(rule)


def load_rule(path: str | Path | None = None) -> ReadinessRule:
    """Load the readiness rule from ``path``, else $SHUXI_READINESS, else ``config/readiness.yaml``.

    Raises:
        bot.kernel.yamlfile.DataFileError: the file is missing keys, has unknown ones, or wrong values (every
            problem with its line).
        FileNotFoundError: no such file.
    """
    path = rule_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: readiness rule not found")
    return load_model(path, ReadinessRule)


@dataclass(frozen=True)
class Check:
    """One part of a verdict: ``ok`` (None when the check was skipped) and the Chinese sentence explaining it."""

    ok: bool | None
    text: str
    step: str = ""


def wilson_lower(right: int, answered: int, z: float) -> float:
    """The Wilson score interval's lower bound for ``right`` of ``answered`` (0–1; 0.0 when nothing was answered).

    Args:
        right: answers right.
        answered: answers given (≥ ``right``).
        z: the normal quantile (1.0 ≈ 84 % one-sided confidence; 0 gives the raw share).
    """
    if answered <= 0:
        return 0.0
    p = right / answered
    if not z:
        return p
    z2 = z * z
    centre = p + z2 / (2 * answered)
    margin = z * ((p * (1 - p) + z2 / (4 * answered)) / answered) ** 0.5
    return max(0.0, (centre - margin) / (1 + z2 / answered))


@dataclass(frozen=True)
class Progress:
    """What the answer log says about one person, as the rule needs it.

    ``started``: bound or registered; ``answered``/``right``: distinct role questions answered / right on the
    latest attempt; ``role_total``: questions the role has; ``last_answer_at``: UTC ISO text or None;
    ``interview_best``: the mock-interview score in the window the rule asks for (best, mean or latest), None if none; ``interview_available``: whether
    the database has the mock-interview table; ``village_total``/``village_right``: the person's own village's
    must-know questions, and how many are right on the latest attempt; ``attempts``/``attempts_right``: every
    answer to a role question (in the answer window) and how many were right (used when the rule's
    ``accuracy_over`` is ``attempts``); ``firsts``/``firsts_right``: the same for each question's first attempt
    ever, when it is in the window (``first``); ``guess``: the sum over the answers the accuracy check counts of
    each one's chance of a right guess (0–1 each; used with ``accuracy_guessing``).
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
    attempts: int = 0
    attempts_right: int = 0
    firsts: int = 0
    firsts_right: int = 0
    guess: float = 0.0


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

    __slots__ = ("ready", "started", "_checks", "_lazy", "_steps")

    def __init__(self, ready: bool, checks: list[Check] | None = None, started: bool = True, *,
                 lazy: list[tuple[bool | None, Callable[[], str]]] | None = None, steps: list[str] | None = None):
        self.ready = ready
        self.started = started
        self._checks = None if lazy is not None else list(checks or [])
        self._lazy = lazy
        self._steps = steps

    @property
    def checks(self) -> list[Check]:
        """Every check with its sentence, in the rule's order."""
        if self._checks is None:
            steps = self._steps or [""] * len(self._lazy or [])
            self._checks = [Check(ok, text(), step) for (ok, text), step in zip(self._lazy or [], steps)]
            self._lazy = None
        return self._checks

    @property
    def next_step(self) -> str:
        """The one thing to do next: the first failed check's step (empty when ready)."""
        return next((c.step for c in self.checks if c.ok is False and c.step), "")

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
        progress: the person's figures (see :class:`Progress`; ``answered``/``right`` already limited to answers
            of the last ``answer_max_age_days`` days by whoever counted them).
        since_window: UTC ISO time ``window_days`` ago; a last answer at or after it counts as recent.
    Returns:
        the verdict with one check per part of the rule, each with its next step.
    """
    if not progress.started:
        return Verdict(False, [Check(False, "从未使用机器人（名册中有此人，但邀请链接还没用过）",
                                     "打开协调员发给你的邀请链接，发送 /start")], started=False)
    # (ok, sentence, step) per check; the sentences are written only when someone reads them (see Verdict).
    checks: list[tuple[bool | None, Callable[[], str], str]] = [(True, lambda: "已开始使用", "")]
    practise = "发送 /practice 练习本角色的题目"
    last = progress.last_answer_at
    if last is None:
        checks.append((False, lambda: "还没有做过练习", practise))
    elif last >= since_window:
        checks.append((True, lambda: f"近 {rule.window_days} 天练习过（最近 {clock.local_day(last)}）", practise))
    else:
        checks.append((False, lambda: f"近 {rule.window_days} 天没有练习（最近一次 {clock.local_day(last)}）", practise))
    need = min(rule.min_answered, progress.role_total)
    recent = f"近 {rule.answer_max_age_days} 天" if rule.answer_max_age_days else ""
    checks.append((progress.answered >= need,
                   lambda: f"{recent}本角色题目答过 {progress.answered}/{progress.role_total} 道（要求至少 {need} 道）",
                   f"发送 /practice 再答 {max(0, need - progress.answered)} 道本角色的题"))
    over = rule.accuracy_over
    n, k = {"attempts": (progress.attempts, progress.attempts_right), "first": (progress.firsts, progress.firsts_right),
            "latest": (progress.answered, progress.right)}[over]
    if n:
        acc = k / n
        bound = wilson_lower(k, n, rule.accuracy_z or 0)
        mark = rule.min_accuracy
        if rule.accuracy_guessing:   # what someone knowing exactly min_accuracy scores on these, lucky guesses in
            mark += (1 - rule.min_accuracy) * min(1.0, progress.guess / n)
        counted = {"attempts": f"{recent}作答 {n} 次答对 {k} 次，正确率 {acc:.0%}（",
                   "first": f"{recent}每道题第一次作答：{n} 道答对 {k} 道，正确率 {acc:.0%}（",
                   "latest": f"{recent}最近一次作答正确率 {acc:.0%}（{k}/{n}，"}[over]
        need_text = (f"及格线 {rule.min_accuracy:.0%}，所答题目含猜对的机会，按 {mark:.0%} 计"
                     if rule.accuracy_guessing else f"要求 ≥ {rule.min_accuracy:.0%}")
        few = acc >= mark > bound   # right often enough, but on too few answers to be sure
        checks.append((bound >= mark,
                       lambda: counted + (f"置信下限 {bound:.0%}，" if rule.accuracy_z else "")
                               + need_text + "）" + ("：答得还太少，还不能确定" if few else ""),
                       "发送 /practice 多答几道，答得越多越能确定" if few
                       else "发送 /practice 多答新题（每道题只算第一次作答）" if over == "first"
                       else "发送 /practice 复习答错的题，多答几道让正确率更可信"))
    else:
        checks.append((False, lambda: f"正确率无从计算（要求 ≥ {rule.min_accuracy:.0%}）", practise))
    if rule.min_role_coverage is not None:
        cover = progress.right / progress.role_total if progress.role_total else 0.0
        checks.append((cover >= rule.min_role_coverage,
                       lambda: f"本角色全部 {progress.role_total} 道题中答对 {progress.right} 道（{cover:.0%}，"
                               f"要求 ≥ {rule.min_role_coverage:.0%}）", "发送 /practice 把本角色的题都答一遍"))
    interview = rule.interview
    if interview is not None:
        best = progress.interview_best
        take = "发送 /interview 做一次模拟访谈"
        if not progress.interview_available:
            checks.append((None, lambda: "模拟访谈功能尚未启用，本项不计", ""))
        elif best is None:
            checks.append((False, lambda: f"近 {interview.window_days} 天还没有做过模拟访谈", take))
            checks.append((None, lambda: f"模拟访谈分数（要求 ≥ {interview.min_score:g} 分）：先做一次", take))
        else:
            checks.append((True, lambda: f"近 {interview.window_days} 天做过模拟访谈", take))
            checks.append((best >= interview.min_score,
                           lambda: f"模拟访谈{_SCORE_OF[interview.score_of]} {best:g} 分（要求 ≥ {interview.min_score:g} 分）",
                           "看上次访谈漏掉的要点，用 /practice 练习后再发 /interview"))
    village = rule.village
    if village is not None:
        total, right = progress.village_total, progress.village_right
        if not total:
            checks.append((None, lambda: "本村没有导入村情表（或本角色无须知项），本项不计", ""))
        else:
            checks.append((right / total >= village.min_accuracy,
                           lambda: f"本村村情 {total} 项答对 {right} 项（{right / total:.0%}，"
                                   f"要求 ≥ {village.min_accuracy:.0%}）", "发送 /village 看本村村情，再 /practice"))
    return Verdict(all(ok is not False for ok, _, _ in checks), started=True,
                   lazy=[(ok, text) for ok, text, _ in checks], steps=[step for _, _, step in checks])

