"""Who a browser is: sign-in by invite link (cadres) or by a coordinator code, server-side sessions, and a limit
on code attempts per address.

The web channel keeps its own tables (created here if missing, all named ``web_*``) next to the bot's:

* ``web_sessions``: one row per signed-in browser — a random id (the only thing the signed cookie carries), the
  person, the coordinator key when signed in as one, and ``ended_at`` once ``/logout`` ended it.
* ``web_invites``: which roster rows' invite codes were used on the web (once each, like on Telegram).
* ``web_coordinator_codes``: single-use sign-in codes for the coordinators of ``config/coordinators.yaml``.

One person, one history: a roster row's invite code is used once, in one channel. Opened first here, a web account
``web:<random>`` is created and bound to the row exactly as ``/start CODE`` binds a Telegram account
(:func:`bot.coordination.invites.redeem_invite`); a code already used on Telegram is refused like an unknown one,
so a link forwarded into a group signs nobody in. A person bound on Telegram opens the web with a one-time
``/link`` code (:mod:`bot.coordination.invites`), which signs the browser in as that same person — the same store
row, the same answers, cards and interviews.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.coordination.invites import InviteError, claim_link_code, link_code_person, new_link_code, redeem_invite
from bot.coordination.roster import RosterEntry, entries
from bot.kernel.store import Person, Store, utcnow

#: A coordinator's sign-in code stops working after this long unused.
COORDINATOR_CODE_DAYS = 7
#: The one refusal for an invite or coordinator code that is unknown, used or expired.
REFUSAL = "这个链接无效或已经用过了。每个链接只能在一部手机上打开一次；请联系镇里的协调员重新发送。"

_SCHEMA = [
    "create table if not exists web_sessions (id text primary key, person_id integer not null, "
    "coordinator_key text, created_at text not null, last_seen_at text not null, ended_at text)",
    "create index if not exists idx_web_sessions_person on web_sessions(person_id)",
    "create table if not exists web_invites (roster_id integer primary key, person_id integer not null, "
    "used_at text not null)",
    "create table if not exists web_coordinator_codes (code text primary key, key text not null, "
    "created_at text not null, used_at text)",
]


def ensure_schema(store: Store) -> None:
    """Create the web channel's tables if they are missing (idempotent; safe with several processes)."""
    with store.db.conn:
        for sql in _SCHEMA:
            store.db.execute(sql)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: session ``id``, the ``person`` it acts as, ``coordinator_key`` if signed in with a
    coordinator code (the key in ``config/coordinators.yaml``), else None."""

    id: str
    person: Person
    coordinator_key: str | None


def _new_session(store: Store, person: Person, coordinator_key: str | None = None) -> WebSession:
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    store.db.execute("insert into web_sessions (id, person_id, coordinator_key, created_at, last_seen_at) "
                     "values (?, ?, ?, ?, ?)", [sid, person.id, coordinator_key, now, now])
    return WebSession(sid, person, coordinator_key)


def session(store: Store, sid: str | None) -> WebSession | None:
    """Return the live session ``sid`` (None when unknown, ended, or not a string)."""
    if not isinstance(sid, str) or not sid:
        return None
    row = store.db.execute("select person_id, coordinator_key from web_sessions where id = ? and ended_at is null",
                           [sid]).fetchone()
    if row is None:
        return None
    return WebSession(sid, store.person_by_id(row[0]), row[1])


def end_session(store: Store, sid: str | None) -> None:
    """End session ``sid`` on the server (its cookie no longer signs anyone in). Unknown ids are ignored."""
    if isinstance(sid, str) and sid:
        with store.db.conn:
            store.db.execute("update web_sessions set ended_at = ? where id = ? and ended_at is null", [utcnow(), sid])


@dataclass(frozen=True)
class Invitee:
    """Whom a sign-in link is for, as the confirmation page shows it."""

    name: str
    town: str
    village: str


def invite_entry(store: Store, code: str) -> Invitee | None:
    """Whom ``code`` signs in: a roster row whose invite is unused in every channel, or the maker of a fresh
    ``/link`` code; None for anything else (unknown and used codes alike)."""
    person_id = link_code_person(store, code)
    if person_id is not None:
        person = store.person_by_id(person_id)
        return Invitee(person.name or "（未登记姓名）", person.town or "", person.village or "")
    row = store.db.execute("select r.id from roster r where r.invite_code = ? and r.invite_used_at is null and not "
                           "exists (select 1 from web_invites w where w.roster_id = r.id)", [code]).fetchone()
    if row is None:
        return None
    entry = next(e for e in entries(store) if e.id == row[0])
    return Invitee(entry.name, entry.town, entry.village)


def redeem_web_invite(store: Store, code: str) -> WebSession | None:
    """Use a roster invite code on the web: sign a new browser session in as the roster person.

    If the row is already bound (e.g. on Telegram) the session acts as that bound person; otherwise a web account
    ``web:<random>`` is created and bound to the row as :func:`bot.coordination.invites.redeem_invite` binds one.

    Returns:
        the new session, or None when the code is unknown or was already used on the web (one refusal for both).
    """
    linked = claim_link_code(store, code) if link_code_person(store, code) is not None else None
    if linked is not None:
        with store.db.conn:
            return _new_session(store, store.person_by_id(linked))
    entry = next((e for e in entries(store) if e.invite_code == code and e.invite_used_at is None), None)
    if entry is None:
        return None
    with store.db.conn:   # claim the web use of this row; a second browser racing for it loses here
        cur = store.db.execute("insert or ignore into web_invites (roster_id, person_id, used_at) values (?, ?, ?)",
                               [entry.id, 0, utcnow()])
    if cur.rowcount == 0:
        return None
    person = store.person(f"web:{secrets.token_urlsafe(12)}")
    try:
        redeem_invite(store, person, code)
    except InviteError:   # used on Telegram in the meantime: refused like any used code
        store.db.execute("delete from people where id = ? and registered = 0", [person.id])
        return None
    with store.db.conn:
        store.db.execute("update web_invites set person_id = ? where roster_id = ?", [person.id, entry.id])
        return _new_session(store, store.person_by_id(person.id))


def reissue_web_invite(store: Store, person_id: int) -> str:
    """Let a person sign in on the web again (a new phone, a cleared cookie, a logout): end every web session of
    theirs and return a fresh one-time ``/link`` code that signs a browser in as the same person."""
    with store.db.conn:
        store.db.execute("update web_sessions set ended_at = ? where person_id = ? and ended_at is null",
                         [utcnow(), person_id])
    return new_link_code(store, store.person_by_id(person_id))


def new_coordinator_code(store: Store, key: str) -> str:
    """Issue a single-use sign-in code for coordinator ``key`` (valid :data:`COORDINATOR_CODE_DAYS` days);
    earlier unused codes of that key stop working. The caller checks that ``key`` is a coordinator."""
    code = secrets.token_urlsafe(18)
    with store.db.conn:
        store.db.execute("update web_coordinator_codes set used_at = ? where key = ? and used_at is null",
                         [utcnow(), key])
        store.db.execute("insert into web_coordinator_codes (code, key, created_at) values (?, ?, ?)",
                         [code, key, utcnow()])
    return code


def redeem_coordinator_code(store: Store, code: str, coordinators: dict) -> WebSession | None:
    """Use a coordinator sign-in code: a new session as the person with the code's key, if that key is still a
    coordinator. Returns None for an unknown, used or expired code, or a key no longer configured."""
    row = store.db.execute("select key, created_at from web_coordinator_codes where code = ? and used_at is null",
                           [code]).fetchone()
    if row is None or row[0] not in coordinators:
        return None
    if datetime.fromisoformat(row[1]) < datetime.now(timezone.utc) - timedelta(days=COORDINATOR_CODE_DAYS):
        return None
    with store.db.conn:
        cur = store.db.execute("update web_coordinator_codes set used_at = ? where code = ? and used_at is null",
                               [utcnow(), code])
        if cur.rowcount == 0:
            return None
    return _new_session(store, store.person(row[0]), coordinator_key=row[0])


def web_invite_entries(store: Store, town: str | None = None, all_rows: bool = False) -> list[RosterEntry]:
    """Roster rows ordered by town, village, name (``town``'s only when given) whose invite code has not been used
    in any channel yet, or every row when ``all_rows``."""
    return [e for e in entries(store, town=town) if all_rows or e.invite_used_at is None]


def web_link(base: str, code: str) -> str:
    """The web invite link for ``code`` under ``base`` (e.g. ``https://shuxi.example.cn``): ``BASE/i/CODE``."""
    return f"{base.rstrip('/')}/i/{code}"


class AttemptLimiter:
    """At most ``limit`` failed code attempts per address in any ``window_s`` seconds (thread-safe, in memory).

    Args:
        limit: failures allowed in the window; the next attempt from that address is refused.
        window_s: the window, seconds.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(self, limit: int = 10, window_s: float = 900.0, clock=time.monotonic):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, address: str) -> deque[float]:
        fails = self._fails[address]
        while fails and fails[0] <= self.clock() - self.window_s:
            fails.popleft()
        return fails

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has used up its failed attempts for now."""
        with self._lock:
            return len(self._trim(address)) >= self.limit

    def failed(self, address: str) -> None:
        """Count one failed attempt from ``address``."""
        with self._lock:
            self._trim(address).append(self.clock())
            if len(self._fails) > 100_000:   # bound memory under a flood of addresses
                for key in [k for k, v in self._fails.items() if not v][:50_000]:
                    del self._fails[key]
