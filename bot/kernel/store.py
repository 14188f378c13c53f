"""Storage of people, asked questions, quiz sessions and answers in SQLite, through sqlite-utils.

Every answer is written the moment it is given. The schema grows by named migrations recorded in the
``migrations`` table, so an upgraded bot keeps every recorded answer. Times are UTC ISO-8601 strings.

Why this module is long: the migrations (about 200 lines) are the schema's history, applied in order to every
database ever created; they stay next to the store that depends on them.
"""

from __future__ import annotations

import errno
import functools
import itertools
import json
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import sqlite_utils

BUSY_TIMEOUT_S = 5.0
#: A write that still finds the database locked after the busy timeout is tried again this many times.
LOCKED_RETRIES = 5
#: An import commits at least this often (seconds), so no transaction holds the write lock for long …
BATCH_SECONDS = 0.2
#: … and rests this long after each commit: SQLite's busy handler polls (every 100 ms at most), so a writer that
#: locks again at once would starve everyone waiting.
BATCH_PAUSE_SECONDS = 0.12

T = TypeVar("T")
R = TypeVar("R")


def is_locked(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" (another writer holds the lock)."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def is_disk_full(exc: BaseException) -> bool:
    """True for a full disk: SQLite's "database or disk is full", or an OSError ENOSPC (errno 28)."""
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def retry_locked(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorate a function that writes in one transaction (and is safe to run again after a rollback): when the
    database stays locked past the busy timeout, roll back and try again, up to :data:`LOCKED_RETRIES` times,
    waiting a little longer each time. Raises the last ``sqlite3.OperationalError`` if it never gets through."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        for attempt in range(LOCKED_RETRIES + 1):
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or attempt == LOCKED_RETRIES:
                    raise
                store = args[0] if args and isinstance(args[0], Store) else None
                if store is not None and store.db.conn.in_transaction:
                    store.db.conn.rollback()
                time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)
        raise AssertionError("unreachable")

    return wrapper


def utcnow() -> str:
    """Return the current UTC time as ISO-8601 text with seconds (e.g. ``2026-11-29T07:10:35+00:00``)."""
    from bot.kernel import clock

    return clock.iso_now()


class NotFoundError(Exception):
    """Raised when a person or quiz session asked for does not exist."""


@dataclass(frozen=True)
class Person:
    """A registered (or not yet registered) user.

    ``key`` identifies the account per channel (``tg:<user id>``, ``cli:<name>``); ``role`` is a
    :class:`bot.kernel.roles.Role` value or None until registration finishes.
    """

    id: int
    key: str
    name: str | None
    role: str | None
    town: str | None
    village: str | None
    registered: bool


@dataclass(frozen=True)
class QuizSession:
    """A quiz in progress or ended: its questions (ids, in order), position of the next one, right answers so far."""

    id: int
    person_id: int
    mode: str
    question_ids: list[str]
    position: int
    correct: int
    status: str  # open | finished | cancelled


def _m001_initial(db: sqlite_utils.Database) -> None:
    db["people"].create({"id": int, "key": str, "name": str, "role": str, "town": str, "village": str,
                         "registered": int, "created_at": str}, pk="id", not_null={"key"})
    db["people"].create_index(["key"], unique=True)
    db["asked_questions"].create({"id": int, "person_id": int, "text": str, "best_id": str, "score": float,
                                  "abstained": int, "verdict": str, "channel": str, "asked_at": str}, pk="id")
    db["asked_questions"].create_index(["asked_at"])
    db["quiz_sessions"].create({"id": int, "person_id": int, "mode": str, "question_ids": str, "position": int,
                                "correct": int, "status": str, "started_at": str, "finished_at": str}, pk="id")
    db["quiz_sessions"].create_index(["person_id", "status"])
    db["quiz_answers"].create({"id": int, "person_id": int, "session_id": int, "question_id": str,
                               "chosen": str, "correct": int, "mode": str, "answered_at": str}, pk="id")
    # One answer per question per session: a double tap cannot record two.
    db["quiz_answers"].create_index(["session_id", "question_id"], unique=True)
    db["quiz_answers"].create_index(["person_id", "question_id"])
    db["dialog_state"].create({"person_id": int, "state": str, "updated_at": str}, pk="person_id")


def _m002_roster(db: sqlite_utils.Database) -> None:
    """The roster of people to be interviewed (imported from a spreadsheet), their single-use invite codes and
    the Telegram account each is bound to; per-person contact status (unreachable, reminders); indexes the
    coordinators' reports need. See :mod:`bot.coordination.roster` and :mod:`bot.coordination.reports`."""
    db["roster"].create({"id": int, "name": str, "role": str, "town": str, "village": str, "phone": str,
                         "invite_code": str, "invite_used_at": str, "person_id": int, "imported_at": str,
                         "updated_at": str}, pk="id", not_null={"name", "role", "town", "village", "invite_code"})
    db["roster"].create_index(["name", "town", "village"], unique=True)   # the re-import key
    db["roster"].create_index(["invite_code"], unique=True)
    db["roster"].create_index(["town", "village"])
    # One Telegram account per roster row and one roster row per account.
    db.execute("create unique index idx_roster_person on roster(person_id) where person_id is not null")
    db["contact_status"].create({"person_id": int, "unreachable_at": str, "reminders_off": int,
                                 "last_reminded_on": str}, pk="person_id")
    db["people"].create_index(["town"])
    db["asked_questions"].create_index(["person_id", "asked_at"])
    # Covering index: the latest answer per (person, question) is read from the index alone.
    db.execute("create index idx_quiz_answers_latest on quiz_answers(person_id, question_id, id, correct, answered_at)")
    db["quiz_answers"].create_index(["person_id", "answered_at"])   # last practice per person


def _m003_practice(db: sqlite_utils.Database) -> None:
    """Spaced-repetition cards (one per person × question, the ``fsrs`` card as JSON), when the current question
    of a session was shown (to rate slow answers Hard), and mock interviews: one row per interview
    (``mock_interviews.score`` 0–100), per answer and per key point; quiz polls sent (``polls``) and who prefers
    them (``people.use_polls``). See :mod:`bot.practice.spaced`."""
    db["cards"].create({"person_id": int, "question_id": str, "card": str, "due": str, "reps": int, "lapses": int,
                        "updated_at": str}, pk=("person_id", "question_id"))
    db["cards"].create_index(["person_id", "due"])
    db["quiz_sessions"].add_column("shown_at", str)
    db["mock_interviews"].create({"id": int, "person_id": int, "session_id": int, "role": str, "score": float,
                                  "finished_at": str}, pk="id")
    db["mock_interviews"].create_index(["person_id", "finished_at"])
    db["interview_answers"].create({"id": int, "person_id": int, "session_id": int, "question_id": str,
                                    "answer": str, "score": float, "answered_at": str}, pk="id")
    db["interview_answers"].create_index(["session_id", "question_id"], unique=True)
    db["interview_points"].create({"id": int, "answer_id": int, "person_id": int, "question_id": str,
                                   "point": str, "covered": int}, pk="id")
    db["interview_points"].create_index(["person_id", "point"])
    # Native Telegram quiz polls: who asked for them, and which poll stands for which question of which session.
    db["people"].add_column("use_polls", int)
    db["polls"].create({"poll_id": str, "person_id": int, "answer_data": str, "sent_at": str}, pk="poll_id")


def _m004_latest_answers(db: sqlite_utils.Database) -> None:
    """``latest_answers``: the latest attempt per (person, question) — ``answer_id`` (its quiz_answers row),
    ``correct``, ``answered_at`` — kept by triggers on ``quiz_answers``, so it changes in the same transaction as
    the answer that changes it, whoever writes the answer. Existing answers are back-filled here.

    The coordinators' reports read readiness from it instead of grouping every attempt (see
    :mod:`bot.coordination.reports`). A ``quiz_answers`` row without person or question is not tracked.
    """
    db.execute("create table latest_answers (person_id integer not null, question_id text not null, "
               "answer_id integer not null, correct integer, answered_at text, "
               "primary key (person_id, question_id)) without rowid")
    # The latest attempt is the row with the highest id (the bare-column rule of SQLite's max()).
    db.execute("insert into latest_answers (person_id, question_id, answer_id, correct, answered_at) "
               "select person_id, question_id, max(id), correct, answered_at from quiz_answers "
               "where person_id is not null and question_id is not null group by person_id, question_id")
    # No statement in these triggers can hit a constraint, so the conflict policy of the statement that fires
    # them (``insert or ignore`` in Store.record_answer) cannot change what they do. A second answer to the same
    # question in the same session is ignored, never inserted, so it fires nothing.
    db.execute("""
        create trigger latest_answers_insert after insert on quiz_answers
        when new.person_id is not null and new.question_id is not null
        begin
            delete from latest_answers
             where person_id = new.person_id and question_id = new.question_id and answer_id < new.id;
            insert into latest_answers (person_id, question_id, answer_id, correct, answered_at)
            select new.person_id, new.question_id, new.id, new.correct, new.answered_at
             where not exists (select 1 from latest_answers
                                where person_id = new.person_id and question_id = new.question_id);
        end""")
    refresh = """
            delete from latest_answers where person_id = {t}.person_id and question_id = {t}.question_id;
            insert into latest_answers (person_id, question_id, answer_id, correct, answered_at)
            select person_id, question_id, id, correct, answered_at from quiz_answers
             where person_id = {t}.person_id and question_id = {t}.question_id order by id desc limit 1;"""
    db.execute(f"create trigger latest_answers_delete after delete on quiz_answers "
               f"begin {refresh.format(t='old')} end")
    db.execute(f"create trigger latest_answers_update after update of person_id, question_id, correct, "
               f"answered_at on quiz_answers begin {refresh.format(t='old')} {refresh.format(t='new')} end")
    # Readers now use latest_answers; this covering index only slowed every insert down.
    db.execute("drop index if exists idx_quiz_answers_latest")


def _m005_reminder_log(db: sqlite_utils.Database) -> None:
    """``reminder_log``: one row per person and local date a daily reminder was claimed for — ``status``
    ``sending`` (claimed, the send under way or interrupted), ``sent``, ``unreachable`` (the person blocked the
    bot) or ``failed`` (Telegram refused it for good) — with the time and any error. A day with a row is never
    reminded again, so a restart sends no reminder twice. See :mod:`bot.coordination.reminders`."""
    db.execute("create table reminder_log (person_id integer not null, on_date text not null, "
               "status text not null, claimed_at text not null, sent_at text, error text, "
               "primary key (person_id, on_date))")
    db.execute("create index idx_reminder_log_date on reminder_log(on_date, status)")


def _m006_person_progress(db: sqlite_utils.Database) -> None:
    """``role_questions`` (role, question id): which quiz questions belong to which role, copied from the
    knowledge base by the reports whenever it changes (:func:`bot.coordination.role_questions.sync_role_questions`,
    which then rebuilds ``person_progress``). ``person_progress`` (person, role, answered, correct): of the person's role's
    questions, how many they answered and got right (``correct``) on the latest attempt — kept by triggers on
    ``latest_answers`` and on ``people.role``, in the transaction of the change, so the city report reads one
    row per person instead of looking up each of the role's questions.

    Existing people get a row of zeros here; the first report fills ``role_questions`` and rebuilds every row.
    """
    db.execute("create table role_questions (role text not null, question_id text not null, "
               "primary key (role, question_id)) without rowid")
    db.execute("create table person_progress (person_id integer primary key, role text, "
               "answered integer not null default 0, correct integer not null default 0)")
    db.execute("insert into person_progress (person_id, role) select id, role from people")
    # As in 004, no statement here can hit a constraint, whatever conflict policy the firing statement has.
    db.execute("""
        create trigger person_progress_person after insert on people
        begin
            insert into person_progress (person_id, role) select new.id, new.role
             where not exists (select 1 from person_progress where person_id = new.id);
        end""")
    db.execute("""
        create trigger person_progress_role after update of role on people
        when new.role is not old.role
        begin
            delete from person_progress where person_id = new.id;
            insert into person_progress (person_id, role, answered, correct)
            select new.id, new.role, count(la.question_id), coalesce(sum(la.correct), 0)
              from latest_answers la
              join role_questions rq on rq.role = new.role and rq.question_id = la.question_id
             where la.person_id = new.id;
        end""")
    db.execute("create trigger person_progress_gone after delete on people "
               "begin delete from person_progress where person_id = old.id; end")
    change = """
            update person_progress set answered = answered {sign} 1, correct = correct {sign} coalesce({t}.correct, 0)
             where person_id = {t}.person_id and exists (select 1 from role_questions rq
                    where rq.role = person_progress.role and rq.question_id = {t}.question_id);"""
    db.execute(f"create trigger person_progress_add after insert on latest_answers "
               f"begin {change.format(sign='+', t='new')} end")
    db.execute(f"create trigger person_progress_remove after delete on latest_answers "
               f"begin {change.format(sign='-', t='old')} end")
    db.execute(f"create trigger person_progress_change after update on latest_answers "
               f"begin {change.format(sign='-', t='old')} {change.format(sign='+', t='new')} end")


def _m007_village_facts(db: sqlite_utils.Database) -> None:
    """``village_facts``: the imported village sheets, one row per (town, village, field) — the town and village as
    matched (``town_key``, ``village_key``: :func:`bot.villages.place_key`) and as written in the latest import
    (``town``, ``village``), ``village_id`` (the hash used in village question ids), the field's key from
    ``knowledge/villages/fields.yaml``, ``value`` (text; a list as a JSON array), ``imported_at`` (the latest import
    that held it) and ``changed_at`` (when the value last changed). See :mod:`bot.villages`."""
    db.execute("create table village_facts (town_key text not null, village_key text not null, field text not null, "
               "village_id text not null, town text not null, village text not null, value text not null, "
               "imported_at text not null, changed_at text not null, primary key (town_key, village_key, field))")
    db.execute("create index idx_village_facts_id on village_facts(village_id)")


def _m008_link_codes(db: sqlite_utils.Database) -> None:
    """One-time codes a person makes in one channel (``/link``) to join another channel's account to themselves."""
    db.execute("create table link_codes (code text primary key, person_id integer not null, "
               "created_at text not null, used_at text)")


def _m009_question_guess(db: sqlite_utils.Database) -> None:
    """``role_questions.guess``: each question's chance (0–1) of being answered right by a guess among its options
    as shown (:func:`bot.practice.quiz.guess_chance`), copied with the (role, question) pairs by
    :func:`bot.coordination.role_questions.sync_role_questions`, for the readiness rule's ``accuracy_guessing``.
    Existing rows get 0 here; the next report fills them in."""
    db.execute("alter table role_questions add column guess real not null default 0")


def _m010_question_fact(db: sqlite_utils.Database) -> None:
    """``role_questions.fact``: the fact each question asks (``QuizQuestion.fact``, else its own id), copied by
    :func:`bot.coordination.role_questions.sync_role_questions`, so the readiness rule's ``first`` counts one first
    attempt per fact: a fill-in explained, its choice question is no first sight. Existing rows get '' here; the
    next report fills them in."""
    db.execute("alter table role_questions add column fact text not null default ''")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_roster", _m002_roster),
    ("003_practice", _m003_practice),
    ("004_latest_answers", _m004_latest_answers),
    ("005_reminder_log", _m005_reminder_log),
    ("006_person_progress", _m006_person_progress),
    ("007_village_facts", _m007_village_facts),
    ("008_link_codes", _m008_link_codes),
    ("009_question_guess", _m009_question_guess),
    ("010_question_fact", _m010_question_fact),
]


class Store:
    """The bot's database.

    Args:
        path: a file path (its folder is created), or ``":memory:"`` for tests.
    """

    def __init__(self, path: str | Path = ":memory:"):
        if str(path) == ":memory:":
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL: a commit is not flushed to disk one by one (checkpoints are); a crash
            # of the process loses nothing, a power cut at most the last commits, and the file is never corrupted.
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        self.db = sqlite_utils.Database(conn)
        self.migrate()

    def pending_migrations(self) -> list[str]:
        """Return the names of the migrations not yet applied, read without taking the write lock."""
        if not self.db["migrations"].exists():
            return [name for name, _ in MIGRATIONS]
        done = {row[0] for row in self.db.execute("select name from migrations")}
        return [name for name, _ in MIGRATIONS if name not in done]

    def migrate(self) -> list[str]:
        """Apply pending migrations in order; return the names applied now.

        When none is pending (every open but the first after an upgrade) nothing is written: a reader such as
        ``report`` never waits for, nor holds, the write lock while an import or the bot writes."""
        if not self.pending_migrations():
            return []
        applied = []
        conn = self.db.conn
        # Several processes may open a new database at once: one writer at a time applies what is pending.
        conn.execute("BEGIN IMMEDIATE")
        try:
            self.db["migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
            done = {row["name"] for row in self.db["migrations"].rows}
            for name, fn in MIGRATIONS:
                if name not in done:
                    fn(self.db)
                    self.db["migrations"].insert({"name": name, "applied_at": utcnow()})
                    applied.append(name)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return applied

    def write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (which writes through ``self.db``) in one transaction and return what it returns; everything
        it writes commits together or not at all. A locked database is retried (see :func:`retry_locked`), so
        ``fn`` must be safe to run again after a rollback. ``fn`` must not commit itself (no ``with db.conn``,
        no sqlite-utils ``insert``/``upsert``, which commit; use ``db.execute``)."""
        return self._write(fn)

    @retry_locked
    def _write(self, fn: Callable[[], T]) -> T:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return result

    def write_in_batches(self, items: Iterable[T], write_one: Callable[[T], R],
                         seconds: float = BATCH_SECONDS) -> list[R]:
        """Write ``items`` one by one through ``write_one`` (same rules as for :meth:`write`), committing in
        batches sized so that each transaction takes about ``seconds``, with a rest of
        :data:`BATCH_PAUSE_SECONDS` after each: an import of 50 000 villages never holds the write lock long
        enough for the bot's answers to wait out their busy timeout.

        Returns:
            what ``write_one`` returned for each item, in order (for counting). A failure rolls back only the
            batch under way; the batches before it stay committed.
        """
        results: list[R] = []
        pending = iter(items)
        size = 50
        while True:
            batch = list(itertools.islice(pending, size))
            if not batch:
                return results
            started = time.monotonic()
            results += self.write(lambda: [write_one(item) for item in batch])
            took = time.monotonic() - started
            time.sleep(BATCH_PAUSE_SECONDS)
            if took > seconds and size > 1:
                size = max(1, size // 2)
            elif took < seconds / 2:
                size = min(size * 2, 10_000)

    # --- people
    @retry_locked
    def person(self, key: str) -> Person:
        """Return the person with ``key``, creating an unregistered one on first contact."""
        row = next(self.db["people"].rows_where("key = ?", [key], limit=1), None)
        if row is None:
            pid = self.db["people"].insert({"key": key, "registered": 0, "created_at": utcnow()}).last_pk
            row = self.db["people"].get(pid)
        return _person(row)

    def person_by_id(self, person_id: int) -> Person:
        """Return person ``person_id``. Raises :class:`NotFoundError`."""
        try:
            return _person(self.db["people"].get(person_id))
        except sqlite_utils.db.NotFoundError as exc:
            raise NotFoundError(f"no person {person_id}") from exc

    @retry_locked
    def register(self, person_id: int, name: str, role: str, town: str, village: str) -> Person:
        """Store a person's registration (name, role id, town, village) and return the updated person."""
        self.db["people"].update(person_id, {"name": name, "role": role, "town": town, "village": village,
                                             "registered": 1})
        return self.person_by_id(person_id)

    # --- dialog state (survives restarts)
    def get_state(self, person_id: int) -> dict[str, Any]:
        """Return the person's dialog state (``{}`` when idle)."""
        row = next(self.db["dialog_state"].rows_where("person_id = ?", [person_id], limit=1), None)
        return json.loads(row["state"]) if row else {}

    @retry_locked
    def set_state(self, person_id: int, state: dict[str, Any]) -> None:
        """Replace the person's dialog state; an empty dict clears it."""
        if state:
            self.db["dialog_state"].upsert({"person_id": person_id, "state": json.dumps(state, ensure_ascii=False),
                                            "updated_at": utcnow()}, pk="person_id")
        else:
            self.db["dialog_state"].delete_where("person_id = ?", [person_id])

    # --- questions asked
    @retry_locked
    def log_question(self, person_id: int, text: str, best_id: str | None, score: float | None,
                     abstained: bool, verdict: str, channel: str) -> None:
        """Record one question (text as typed, at most 2000 characters kept), its best entry and score."""
        self.db["asked_questions"].insert({"person_id": person_id, "text": text[:2000], "best_id": best_id,
                                           "score": score, "abstained": int(abstained), "verdict": verdict,
                                           "channel": channel, "asked_at": utcnow()})

    def unanswered(self, since: str | None = None, below: float = 0.6) -> list[dict[str, Any]]:
        """Return abstained or low-confidence questions grouped by text, most frequent first.

        Args:
            since: ISO date or time; only questions asked at or after it.
            below: a score under this counts as low confidence.
        Returns:
            rows ``{"text", "count", "best_id", "max_score", "last_asked"}``.
        """
        sql = ("select text, count(*) as count, max(best_id) as best_id, max(score) as max_score, "
               "max(asked_at) as last_asked from asked_questions "
               "where (abstained = 1 or score < ?) and verdict not in ('greeting', 'thanks', 'empty')")
        params: list[Any] = [below]
        if since:
            sql += " and asked_at >= ?"
            params.append(since)
        sql += " group by text order by count desc, last_asked desc"
        return [dict(r) for r in self.db.query(sql, params)]

    # --- quizzes
    def open_session(self, person_id: int) -> QuizSession | None:
        """Return the person's open quiz session, if any."""
        row = next(self.db["quiz_sessions"].rows_where("person_id = ? and status = 'open'", [person_id],
                                                       order_by="id desc", limit=1), None)
        return _session(row) if row else None

    @retry_locked
    def start_session(self, person_id: int, question_ids: list[str], mode: str = "quiz") -> QuizSession:
        """Close any open session of the person and start a new one over ``question_ids``."""
        with self.db.conn:
            self.db.execute("update quiz_sessions set status = 'cancelled', finished_at = ? "
                            "where person_id = ? and status = 'open'", [utcnow(), person_id])
            sid = self.db["quiz_sessions"].insert({"person_id": person_id, "mode": mode,
                                                   "question_ids": json.dumps(question_ids), "position": 0,
                                                   "correct": 0, "status": "open", "started_at": utcnow()}).last_pk
        return self.session(sid)

    def session(self, session_id: int) -> QuizSession:
        """Return quiz session ``session_id``. Raises :class:`NotFoundError`."""
        try:
            return _session(self.db["quiz_sessions"].get(session_id))
        except sqlite_utils.db.NotFoundError as exc:
            raise NotFoundError(f"no quiz session {session_id}") from exc

    def record_answer(self, session: QuizSession, chosen: str, correct: bool,
                      also: Callable[[], Any] | None = None) -> QuizSession | None:
        """Record the answer to the session's current question and advance, in one transaction, together with
        what ``also`` writes (e.g. the spaced-repetition card: see :meth:`write` for what it may do); the
        readiness tables follow by trigger in the same transaction. A kill at any moment leaves either all of it
        or none of it.

        Returns:
            the updated session, or None when that question already has an answer (a double tap; ``also`` is
            then not run).
        """
        qid = session.question_ids[session.position]

        def write() -> bool:
            cur = self.db.execute(
                "insert or ignore into quiz_answers (person_id, session_id, question_id, chosen, correct, mode, "
                "answered_at) values (?, ?, ?, ?, ?, ?, ?)",
                [session.person_id, session.id, qid, chosen, int(correct), session.mode, utcnow()])
            if cur.rowcount == 0:
                return False
            position = session.position + 1
            status = "finished" if position >= len(session.question_ids) else "open"
            self.db.execute("update quiz_sessions set position = ?, correct = correct + ?, status = ?, "
                            "finished_at = ? where id = ?",
                            [position, int(correct), status, utcnow() if status == "finished" else None,
                             session.id])
            if also is not None:
                also()
            return True

        if not self.write(write):
            return None
        return self.session(session.id)

    @retry_locked
    def cancel_session(self, session_id: int) -> None:
        """Mark a quiz session cancelled."""
        self.db["quiz_sessions"].update(session_id, {"status": "cancelled", "finished_at": utcnow()})

    def answers(self, person_id: int) -> list[dict[str, Any]]:
        """Return the person's quiz answers, oldest first (``question_id``, ``chosen``, ``correct``, ``answered_at``)."""
        return list(self.db["quiz_answers"].rows_where("person_id = ?", [person_id], order_by="id"))

    def question_history(self, person_id: int) -> dict[str, tuple[int, int]]:
        """Return {question id: (times answered, times right)} for the person."""
        rows = self.db.query("select question_id, count(*) as n, sum(correct) as right from quiz_answers "
                             "where person_id = ? group by question_id", [person_id])
        return {r["question_id"]: (r["n"], r["right"]) for r in rows}


def _person(row: dict[str, Any]) -> Person:
    return Person(row["id"], row["key"], row["name"], row["role"], row["town"], row["village"],
                  bool(row["registered"]))


def _session(row: dict[str, Any]) -> QuizSession:
    return QuizSession(row["id"], row["person_id"], row["mode"], json.loads(row["question_ids"]), row["position"],
                       row["correct"], row["status"])
