"""``/me`` shows each cadre their own readiness verdict: every check with ✔/✘ and its figures, the one next step,
and the days to the visit — the same verdict coordinators see, judged by the same rule.

Installed on top of the practice feature's ``/me`` (it adds one reply and changes nothing else there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from bot.kernel.messages import Reply
from bot.kernel.scope import Scope
from bot.kernel.store import Person

from .readiness import ReadinessRule, SharedRule, Verdict, shared
from .reports import build_report

if TYPE_CHECKING:
    from bot.dialog import Dialog


def verdict_for_person(verdict: Verdict, days_left: int | None) -> str:
    """The verdict as the person sees it (``/me``): each check with ✔/✘ (— when skipped), the one next step, and
    the days to the visit (``days_left`` None when the visit date is not set).

    Returns:
        Chinese text, several lines.
    """
    lines = ["准备情况：" + ("✔ 已达标" if verdict.ready else "✘ 还没达标")]
    lines += [f"  {'✔' if c.ok else ('—' if c.ok is None else '✘')} {c.text}" for c in verdict.checks]
    if verdict.next_step:
        lines.append(f"下一步：{verdict.next_step}")
    if days_left is None:
        lines.append("评估组进驻日期还没定。")
    elif days_left > 0:
        lines.append(f"距评估组进驻还有 {days_left} 天。")
    elif days_left == 0:
        lines.append("今天评估组进驻。")
    return "\n".join(lines)


def own_verdict_text(dialog: "Dialog", rule: ReadinessRule, person: Person) -> str | None:
    """Return the person's verdict as :func:`verdict_for_person` writes it, judged within
    their own town (the only scope their row can be in); None when they are in no report (not registered and not
    on the roster)."""
    if not person.town:
        return None
    report = build_report(dialog.store, dialog.kb, rule, Scope(person.town), with_unanswered=False)
    mine = next((p for p in report.people if p.person_id == person.id), None)
    if mine is None:
        return None
    return verdict_for_person(mine.verdict, report.days_left)


def install(dialog: "Dialog", rule: "ReadinessRule | SharedRule") -> None:
    """Add the person's own verdict to ``/me`` (after what the practice feature shows), judged by ``rule`` (a
    :class:`~bot.coordination.readiness.SharedRule` is read at each ``/me``, so ``/visitdate`` reaches it)."""
    holder = shared(rule)
    shown: Callable[[Person, str], list[Reply]] = dialog.commands["me"]

    def me(person: Person, arg: str) -> list[Reply]:
        replies = shown(person, arg)
        text = own_verdict_text(dialog, holder.rule, person)
        return replies + [Reply(text)] if text else replies

    dialog.add_command("me", me)
    # the end of a mock interview names the mark this rule asks for
    dialog.practicing.interview_mark = lambda: holder.rule.interview.min_score if holder.rule.interview else None
