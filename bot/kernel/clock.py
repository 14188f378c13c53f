"""The one clock: every "now" and "today" of the bot (timestamps stored, practice due dates, readiness windows,
reports, reminders) is taken here, so a whole session can be run at another date.

The date may be overridden by ``--today YYYY-MM-DD`` (any command) or the environment variable ``SHUXI_TODAY``:
then :func:`now` is that local date (UTC+8) at the current local time of day, plus whatever :func:`advance` added,
so timestamps keep their order and real seconds still pass between two messages. A simulation that must give the
same figures on every run also fixes the time of day (``set_today(day, at=time(9, 0))``): then only
:func:`advance` moves the clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone

#: The plan's local time (China Standard Time, no daylight saving).
LOCAL_TZ = timezone(timedelta(hours=8))

_today: date | None = None
_at: time | None = None
_offset = timedelta(0)
#: The dates a run may pretend to be on: a typo like 0001-01-01 or 9999-12-31 would overflow every window.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` between :data:`EARLIEST` and :data:`LATEST`; ValueError otherwise."""
    day = date.fromisoformat(text.strip())
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day} is outside {EARLIEST}..{LATEST}")
    return day


def set_today(day: date | str | None, at: time | None = None) -> None:
    """Run as if today (local) were ``day`` (a date or ``YYYY-MM-DD``); None goes back to the real date.

    Args:
        day: the local date, or None for the real one.
        at: a fixed local time of day (naive); the clock then stands still but for :func:`advance`, so a run
            does not depend on when it was started or how fast it went. None: the real time of day.
    Raises:
        ValueError: ``day`` is not a date ``YYYY-MM-DD`` between 2000-01-01 and 2099-12-31.
    """
    global _today, _at, _offset
    _today = parse_date(day) if isinstance(day, str) else (parse_date(day.isoformat()) if day is not None else None)
    _at = at if _today is not None else None
    _offset = timedelta(0)


def advance(delta: timedelta) -> None:
    """Move the clock forward by ``delta`` (simulations: the next day, an hour later)."""
    global _offset
    _offset += delta


def _overridden() -> date | None:
    if _today is not None:
        return _today
    env = os.environ.get("SHUXI_TODAY", "").strip()
    return parse_date(env) if env else None


def now() -> datetime:
    """The current moment, timezone-aware in UTC (the overridden date, if any; see the module docstring).

    Raises:
        ValueError: ``SHUXI_TODAY`` is set but not a date ``YYYY-MM-DD``.
    """
    real = datetime.now(timezone.utc)
    day = _overridden()
    if day is None:
        return real + _offset
    local_time = _at if _at is not None else real.astimezone(LOCAL_TZ).time()
    return datetime.combine(day, local_time, LOCAL_TZ).astimezone(timezone.utc) + _offset


def today() -> date:
    """Today's local date (UTC+8)."""
    return now().astimezone(LOCAL_TZ).date()


def iso_now() -> str:
    """:func:`now` as UTC ISO text to the second (``2026-12-02T08:00:00+00:00``), the form stored in the database."""
    return now().isoformat(timespec="seconds")


def local_day(stored: str) -> str:
    """The local date (UTC+8, ``YYYY-MM-DD``) of a stored UTC ISO time such as ``2026-11-30T17:30:50+00:00`` (that
    is 2026-12-01 in Hainan); text without a time zone is taken as UTC. Raises ValueError on text that is no time."""
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ).date().isoformat()
