"""Daily reminders to people who are not ready yet: who gets one today, what it says, and the record that makes
each day's reminder go out at most once. No chat service is known here; the Telegram adapter schedules the runs
and sends (see :func:`bot.adapters.telegram.send_due_reminders`).

Who gets one, at a run at time ``now`` (local time is China Standard Time, UTC+8):

* nobody when reminders are switched off in the configuration, when the local date is after the visit date
  (``visit_date`` of the readiness rule), before the configured ``send_at`` time, or inside the quiet hours;
* otherwise every member of the city (roster people bound to an account, and people who registered themselves)
  whose verdict under the readiness rule is *not ready*, who has an account on the channel (``tg:``), has not
  switched reminders off (``/remind off``), is not marked unreachable (blocked the bot), and has no row for
  today in ``reminder_log``.

A send is claimed in ``reminder_log`` (status ``sending``) before it goes out and marked ``sent`` (or
``unreachable`` / ``failed``) after; a send that failed for a passing reason (network, flood control not waited
out) is released, so a later run retries it. A restart therefore sends nobody a second reminder for the same
day; only a crash in the moment between the claim and Telegram's reply can lose that one person's reminder.

The configuration is ``config/reminders.yaml`` (strict; $SHUXI_REMINDERS names another file).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.coordination.readiness import ReadinessRule, SharedRule, shared
from bot.coordination.reports import LOCAL_TZ, Scope, build_report, weak_indicators
from bot.kernel.messages import Reply
from bot.kernel.store import Person, Store, utcnow
from bot.kernel.yamlfile import load_model
from bot.qa.knowledge import PROJECT_ROOT, KnowledgeBase

if TYPE_CHECKING:
    from bot.dialog import Dialog

DEFAULT_REMINDERS = PROJECT_ROOT / "config" / "reminders.yaml"
#: Account keys reminders can be sent to (the Telegram user id is the private chat's id).
CHANNEL_PREFIX = "tg:"
COMMAND = "remind"
COMMAND_DESCRIPTION = "每日提醒：/remind off 关闭，/remind on 开启"

ClockText = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class QuietHours(_Strict):
    """No reminder goes out from ``start`` to ``end`` (local ``HH:MM``; the window may run past midnight)."""

    start: ClockText
    end: ClockText

    def contains(self, moment: time) -> bool:
        """Whether the local wall-clock time ``moment`` lies inside the quiet hours (start inclusive, end not)."""
        start, end = _clock(self.start), _clock(self.end)
        moment = moment.replace(second=0, microsecond=0, tzinfo=None)
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end


class ReminderConfig(_Strict):
    """``config/reminders.yaml``.

    ``send_at``: local time of the daily run (``HH:MM``, in quotes); ``quiet_hours``: when none is sent;
    ``send_interval_s``: pause between two messages of a run (Telegram allows about 30 a second to different
    chats); ``max_attempts``: tries per message when Telegram asks to wait (flood control) or the network fails,
    before the message is left for the next run; ``retry_minutes``: when a run left messages unsent, another run
    this many minutes later; ``startup_delay_s``: the catch-up run after a start.
    """

    enabled: bool = True
    send_at: ClockText = "19:30"
    quiet_hours: QuietHours | None = None
    send_interval_s: float = Field(default=0.05, ge=0, le=10)
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_minutes: int = Field(default=30, ge=1, le=720)
    startup_delay_s: float = Field(default=10, ge=0, le=3600)

    @model_validator(mode="after")
    def _send_time_not_quiet(self) -> "ReminderConfig":
        if self.quiet_hours is not None and self.quiet_hours.contains(_clock(self.send_at)):
            raise ValueError(f"send_at {self.send_at} lies inside the quiet hours "
                             f"{self.quiet_hours.start}–{self.quiet_hours.end}")
        return self

    @property
    def send_time(self) -> time:
        """``send_at`` as an aware time in China Standard Time (what a scheduler needs)."""
        return _clock(self.send_at).replace(tzinfo=LOCAL_TZ)

    def describe(self) -> str:
        """The schedule in one Chinese sentence."""
        quiet = (f"，{self.quiet_hours.start}–{self.quiet_hours.end} 不打扰" if self.quiet_hours else "")
        return f"每天 {self.send_at} 左右发送{quiet}，评估组进驻之后不再提醒"


def load_config(path: str | Path | None = None) -> ReminderConfig:
    """Load the reminder settings from ``path``, else $SHUXI_REMINDERS, else ``config/reminders.yaml`` (its
    defaults when that file does not exist).

    Raises:
        bot.kernel.yamlfile.DataFileError: unknown keys, wrong types, a time not written as ``"HH:MM"``, or
            ``send_at`` inside the quiet hours (every problem with its line).
        FileNotFoundError: ``path`` or $SHUXI_REMINDERS names a file that does not exist.
    """
    named = path or os.environ.get("SHUXI_REMINDERS")
    file = Path(named or DEFAULT_REMINDERS)
    if not file.is_file():
        if named:
            raise FileNotFoundError(f"{file}: reminder settings not found")
        return ReminderConfig()
    return load_model(file, ReminderConfig)


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: to ``person_id`` (account ``key``, ``chat_id`` on Telegram), for the local date
    ``on_date``, with plain ``text`` (the adapter escapes it)."""

    person_id: int
    key: str
    name: str
    on_date: date
    text: str

    @property
    def chat_id(self) -> int:
        """The private chat's id: the number after ``tg:``."""
        return int(self.key.removeprefix(CHANNEL_PREFIX))


# --- contact status ----------------------------------------------------------------------------------------------

def set_reminders_off(store: Store, person_id: int, off: bool) -> None:
    """Switch the person's daily reminders off (``off`` True) or on again; kept in ``contact_status``."""
    with store.db.conn:
        store.db.execute("insert into contact_status (person_id, reminders_off) values (?, ?) "
                         "on conflict (person_id) do update set reminders_off = excluded.reminders_off",
                         [person_id, int(off)])


def reminders_off(store: Store, person_id: int) -> bool:
    """Whether the person switched daily reminders off."""
    row = store.db.execute("select reminders_off from contact_status where person_id = ?", [person_id]).fetchone()
    return bool(row and row[0])


def mark_unreachable(store: Store, person_id: int, when: str | None = None) -> None:
    """Record that messages to the person cannot be delivered (they blocked the bot); reports show them as
    无法联系 and no reminder is sent to them until they write to the bot again. Keeps the first time seen."""
    with store.db.conn:
        store.db.execute("insert into contact_status (person_id, unreachable_at) values (?, ?) "
                         "on conflict (person_id) do update set "
                         "unreachable_at = coalesce(contact_status.unreachable_at, excluded.unreachable_at)",
                         [person_id, when or utcnow()])


def mark_reachable(store: Store, key: str) -> bool:
    """Clear the unreachable mark of the account ``key`` (they wrote to the bot, so they unblocked it).

    Returns:
        True if a mark was cleared.
    """
    with store.db.conn:
        cur = store.db.execute("update contact_status set unreachable_at = null where unreachable_at is not null "
                               "and person_id = (select id from people where key = ?)", [key])
    return cur.rowcount > 0


# --- the reminder log --------------------------------------------------------------------------------------------

def claim(store: Store, person_id: int, on_date: date) -> bool:
    """Claim the reminder of ``person_id`` for ``on_date`` before sending it.

    Returns:
        True if this caller may send it; False if that day's reminder was already claimed (sent, or being sent).
    """
    with store.db.conn:
        cur = store.db.execute("insert or ignore into reminder_log (person_id, on_date, status, claimed_at) "
                               "values (?, ?, 'sending', ?)", [person_id, on_date.isoformat(), utcnow()])
    return cur.rowcount == 1


def finish(store: Store, person_id: int, on_date: date, status: str, error: str | None = None) -> None:
    """Record how a claimed send ended.

    Args:
        status: ``sent``; ``unreachable`` (also marks the person unreachable); ``failed`` (refused for good: not
            retried that day); ``retry`` (a passing failure: the claim is released so a later run sends it).
        error: the error's text, kept in the log (not for ``retry``).
    Raises:
        ValueError: another status.
    """
    day = on_date.isoformat()
    if status == "retry":
        with store.db.conn:
            store.db.execute("delete from reminder_log where person_id = ? and on_date = ? and status = 'sending'",
                             [person_id, day])
        return
    if status not in ("sent", "unreachable", "failed"):
        raise ValueError(f"unknown reminder status {status!r}")
    now = utcnow()
    with store.db.conn:
        store.db.execute("update reminder_log set status = ?, sent_at = ?, error = ? where person_id = ? and on_date = ?",
                         [status, now if status == "sent" else None, error, person_id, day])
        if status == "sent":
            store.db.execute("insert into contact_status (person_id, last_reminded_on) values (?, ?) "
                             "on conflict (person_id) do update set last_reminded_on = excluded.last_reminded_on",
                             [person_id, day])
    if status == "unreachable":
        mark_unreachable(store, person_id, now)


def log_for(store: Store, on_date: date) -> dict[int, str]:
    """Return {person id: status} of the reminder log for ``on_date``."""
    return {r[0]: r[1] for r in store.db.execute("select person_id, status from reminder_log where on_date = ?",
                                                  [on_date.isoformat()])}


# --- who and what ------------------------------------------------------------------------------------------------

def _now() -> datetime:
    from bot.kernel import clock

    return clock.now()


class Reminders:
    """Decides who gets today's reminder and what it says, and answers ``/remind``.

    Args:
        store: the database.
        kb: the knowledge base (role questions, indicator titles).
        rule: the readiness rule (who is ready; the visit date), or the
            :class:`~bot.coordination.readiness.SharedRule` the coordinator commands change (``/visitdate``).
        config: the reminder settings.
        clock: returns the current aware time (tests pass a fixed one; default: now).
    """

    def __init__(self, store: Store, kb: KnowledgeBase, rule: "ReadinessRule | SharedRule", config: ReminderConfig,
                 clock: Callable[[], datetime] | None = None):
        self.store = store
        self.kb = kb
        self.shared = shared(rule)
        self.config = config
        self.clock = clock or _now

    @property
    def rule(self) -> ReadinessRule:
        """The readiness rule in force (a ``/visitdate`` or an edited rule file is seen at once)."""
        return self.shared.rule

    def local_today(self, now: datetime | None = None) -> date:
        """The local (UTC+8) date at ``now`` (default: the clock)."""
        return (now or self.clock()).astimezone(LOCAL_TZ).date()

    def closed_because(self, now: datetime | None = None) -> str | None:
        """Why no reminder may go out at ``now``, in English for the log, or None when they may.

        Reasons: switched off in the settings; after the visit date; before ``send_at`` today; quiet hours.
        """
        now = now or self.clock()
        local = now.astimezone(LOCAL_TZ)
        if not self.config.enabled:
            return "reminders are switched off in the settings"
        if self.rule.visit_date is not None and local.date() > self.rule.visit_date:
            return f"the visit date {self.rule.visit_date} has passed"
        if local.time().replace(tzinfo=None) < _clock(self.config.send_at):
            return f"before today's send time {self.config.send_at}"
        if self.config.quiet_hours is not None and self.config.quiet_hours.contains(local.time()):
            return f"quiet hours {self.config.quiet_hours.start}–{self.config.quiet_hours.end}"
        return None

    def due(self, now: datetime | None = None) -> list[Reminder]:
        """Return the reminders to send at ``now`` (empty when :meth:`closed_because` gives a reason).

        One per member of the city who is not ready, reachable on Telegram, has reminders on and no
        ``reminder_log`` row for today; least ready first. Reads the whole city's report (about 0.4 s for 10 000
        people).
        """
        now = now or self.clock()
        if self.closed_because(now) is not None:
            return []
        today = self.local_today(now)
        report = build_report(self.store, self.kb, self.rule, Scope(None), now, with_unanswered=False)
        candidates = [p for p in report.unprepared() if p.person_id is not None and not p.unreachable]
        if not candidates:
            return []
        eligible: dict[int, str] = {}
        ids = [p.person_id for p in candidates]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.store.db.execute(
                f"select p.id, p.key from people p left join contact_status cs on cs.person_id = p.id "
                f"where p.id in ({marks}) and p.key like '{CHANNEL_PREFIX}%' and coalesce(cs.reminders_off, 0) = 0 "
                f"and cs.unreachable_at is null and not exists (select 1 from reminder_log rl "
                f"where rl.person_id = p.id and rl.on_date = ?)", [*chunk, today.isoformat()])
            eligible.update({r[0]: r[1] for r in rows})
        chosen = [p for p in candidates if p.person_id in eligible]
        weak = weak_indicators(self.store, self.kb, [p.person_id for p in chosen])
        return [Reminder(p.person_id, eligible[p.person_id], p.name, today,
                         reminder_text(p.name, report.countdown(), p.verdict.reasons,
                                       [t for t, _, _ in weak.get(p.person_id, [])[:3]], p.verdict.next_step))
                for p in chosen]

    # --- /remind
    def command(self, person: Person, arg: str) -> list[Reply]:
        """``/remind`` shows whether daily reminders are on; ``/remind off`` (关) and ``/remind on`` (开) switch
        them. Any other argument gets the usage."""
        word = unicodedata.normalize("NFKC", arg).strip().lower()
        if word in ("off", "关", "关闭", "停", "停止", "不要", "0"):
            set_reminders_off(self.store, person.id, True)
            return [Reply("已关闭每日备考提醒。想重新开启，请发送 /remind on。")]
        if word in ("on", "开", "开启", "打开", "要", "1"):
            set_reminders_off(self.store, person.id, False)
            return [Reply(f"已开启每日备考提醒（{self.config.describe()}；达到合格标准后就不再提醒）。"
                          "不想收到时发送 /remind off。")]
        if word:
            return [Reply("用法：/remind off 关闭每日提醒，/remind on 重新开启，/remind 查看当前设置。")]
        if not self.config.enabled:
            return [Reply("每日备考提醒目前没有启用。")]
        if self.rule.visit_date is not None and self.local_today() > self.rule.visit_date:
            return [Reply(f"{self.rule.visit_label}的日期（{self.rule.visit_date.isoformat()}）已过，不再发送每日提醒。")]
        if reminders_off(self.store, person.id):
            return [Reply("您已关闭每日备考提醒。想重新开启，请发送 /remind on。")]
        return [Reply(f"每日备考提醒已开启：{self.config.describe()}；只在您还未达到合格标准时提醒。"
                      "不想收到时发送 /remind off。")]


def reminder_text(name: str, countdown: str, reasons: list[str], weak: list[str], step: str = "") -> str:
    """The reminder's Chinese text.

    Args:
        name: the person's name (shown literally; the adapter escapes it).
        countdown: the report's countdown sentence (e.g. 距省后评估组进驻（2021-11-01）还有 9 天).
        reasons: the failed checks of the person's verdict.
        weak: titles of their weakest indicators (at most three are shown).
        step: the verdict's one next step (:attr:`bot.coordination.readiness.Verdict.next_step`, e.g. 发送
            /interview 做一次模拟访谈 when the mock interview is missing); empty: practise a round.
    Returns:
        plain text, well under one Telegram message.
    """
    lines = [f"{name}，您好！这是“熟悉”的每日备考提醒。", f"{countdown}。", "按合格标准，您目前还差："]
    lines += [f"• {r}" for r in reasons[:5]]
    if weak:
        lines.append("最需要加强的指标：" + "、".join(weak[:3]))
    if step:
        lines.append(f"下一步：{step}。")
        lines.append("/me 查看进度。不想再收到提醒，发送 /remind off。")
    else:
        lines.append("发送 /practice 练一组本角色的题（几分钟就够），/me 查看进度。不想再收到提醒，发送 /remind off。")
    return "\n".join(lines)


def install(dialog: "Dialog", rule: "ReadinessRule | SharedRule", config: ReminderConfig | None = None,
            clock: Callable[[], datetime] | None = None) -> Reminders:
    """Register ``/remind`` on ``dialog`` (through ``dialog.add_command``) and return the reminder planner the
    Telegram adapter schedules.

    Args:
        dialog: the dialog whose store and knowledge base are used.
        rule: the readiness rule, or the shared one (see :class:`Reminders`).
        config: the settings; default :func:`load_config`.
        clock: the current time (default: now).
    Raises:
        as :func:`load_config` when loading the default settings.
    """
    reminders = Reminders(dialog.store, dialog.kb, rule, config or load_config(), clock)
    dialog.add_command(COMMAND, reminders.command, help="• /remind off 关闭每日备考提醒（/remind on 重新打开）", order=70)
    return reminders
