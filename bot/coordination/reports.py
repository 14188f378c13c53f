"""Coordinators' reports: who in a scope is ready for the interview, who is not and why, what the bot could not
answer. The views (text, CSV, .xlsx) are in :mod:`bot.coordination.report_views`, the chart in
:mod:`bot.coordination.charts`.

Scope is enforced in SQL: every query that reads people takes the scope's town as a parameter in its ``where``
clause (the ``members`` common table expression), so rows of other towns never leave the database. Members are
the roster (bound or not) plus people who registered without an invite (unverified, placed by the town they typed).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Iterator

from bot.coordination.readiness import Progress, ReadinessRule, Verdict, evaluate
from bot.coordination.role_questions import (  # noqa: F401  (reports.role_questions … for callers)
    _bank, guess_chances, question_facts, role_questions, sync_role_questions)
from bot.kernel.clock import LOCAL_TZ  # noqa: F401  (China Standard Time: the visit date and "today" are local)
from bot.kernel.roles import Role
from bot.kernel.scope import Scope, ScopeError  # noqa: F401  (reports.Scope for callers)
from bot.kernel.store import Store
from bot.qa.knowledge import KnowledgeBase

#: Most people listed in one text view; the .xlsx export lists everyone.
MAX_TEXT_PEOPLE = 50


# The scoped member list. ``:town`` null means the whole city. Roster rows come with their bound person (if any);
# registered people bound to no roster row are the unverified ones.
_MEMBERS_SQL = """
members as (
    select r.id as roster_id, r.person_id as person_id, r.name as name, r.role as role, r.town as town,
           r.village as village, 1 as on_roster
    from roster r
    where (:town is null or r.town = :town)
    union all
    select null, p.id, p.name, p.role, p.town, p.village, 0
    from people p
    where p.registered = 1 and (:town is null or p.town = :town)
      and not exists (select 1 from roster r2 where r2.person_id = p.id)
)"""

# Per member: last answer time, and the role's questions answered and right on the latest attempt, packed into one
# integer (answered * PACK + right). They are read from ``person_progress`` (one row per person, kept by triggers)
# when its role is the member's role. Otherwise (a bound person who re-registered with another role than the
# roster's) they are counted from ``latest_answers`` (the latest attempt per person and question), looked up by
# primary key for each of the role's questions; a roster row nobody is bound to has none. ``counted``: _COUNTED.
PACK = 1_000_000
_PEOPLE_SQL = "with " + _MEMBERS_SQL + f"""
select m.roster_id, m.person_id, m.name, m.role, m.town, m.village, m.on_roster,
       (select max(qa.answered_at) from quiz_answers qa where qa.person_id = m.person_id) as last_answer_at,
       case when m.person_id is null then 0
            when :since_answers is null and pp.role is m.role then pp.answered * {PACK} + pp.correct
            else (select count(*) * {PACK} + coalesce(sum(la.correct), 0)
                    from latest_answers la cross join role_questions rq   -- the person's answers outside: fewer
                   where la.person_id = m.person_id and rq.role = m.role and rq.question_id = la.question_id
                     and (:since_answers is null or la.answered_at >= :since_answers))
       end as packed,
       case when m.person_id is not null then {{counted}} end as counted,
       (select max(aq.asked_at) from asked_questions aq where aq.person_id = m.person_id) as last_question_at,
       cs.unreachable_at
from members m
left join person_progress pp on pp.person_id = m.person_id
left join contact_status cs on cs.person_id = m.person_id
order by m.town, m.village, m.role, m.name
"""

# What the accuracy check counts (the rule's ``accuracy_over``) of the member's answers to role questions in the
# answer window, as the text "answers right guesses" (guesses: the sum of ``role_questions.guess``, each answer's
# chance of a lucky guess). ``first``: each fact's first attempt ever (a fill-in explained, its choice question is no
# first sight), if in the window (a retry never becomes the first when the first ages out): one min() group per fact
# (``role_questions.fact``), SQLite taking bare columns from the minimum's row.
_ANSWERS = """(select count(*) || ' ' || coalesce(sum(qa.correct), 0) || ' ' || total(rq.guess)
               from {table} qa cross join role_questions rq
              where qa.person_id = m.person_id and rq.role = m.role and rq.question_id = qa.question_id
                and (:since_answers is null or qa.answered_at >= :since_answers))"""
_FIRSTS = """(select min(e.id), e.person_id, e.question_id, e.correct, e.answered_at from quiz_answers e cross join
               role_questions f on f.role = m.role and f.question_id = e.question_id where e.person_id = m.person_id
               group by f.fact)"""   # cross join: the person's answers first (fewer), each fact by primary key
_COUNTED = {over: _ANSWERS.format(table=table) for over, table in (
    ("attempts", "quiz_answers"), ("first", _FIRSTS), ("latest", "latest_answers"))}


def _people_sql(rule: ReadinessRule) -> str:
    """``_PEOPLE_SQL`` for the rule: ``counted`` is null where the packed latest-attempt figures are all it needs."""
    plain = rule.accuracy_over == "latest" and not rule.accuracy_guessing
    return _PEOPLE_SQL.format(counted="null" if plain else _COUNTED[rule.accuracy_over])


@dataclass(frozen=True)
class PersonStatus:
    """One member of the scope and their verdict.

    ``on_roster``: imported from a roster; ``verified``: on the roster and bound to an account; ``started``:
    has an account (bound, or registered unverified); ``last_activity_at``: last answer or question (UTC ISO).
    """

    roster_id: int | None
    person_id: int | None
    name: str
    role: str
    town: str
    village: str
    on_roster: bool
    started: bool
    answered: int
    right: int
    role_total: int
    last_answer_at: str | None
    last_activity_at: str | None
    unreachable: bool
    practised_recently: bool
    verdict: Verdict

    @property
    def verified(self) -> bool:
        """On the roster and bound to a Telegram (or terminal) account."""
        return self.on_roster and self.person_id is not None

    @property
    def role_label(self) -> str:
        """The role in the plan's words (the raw value if it is not a known role)."""
        try:
            return Role(self.role).label
        except ValueError:
            return self.role or "未知角色"

    @property
    def status_label(self) -> str:
        """合格 / 未合格 / 未开始, with 未核实 for a registration without an invite."""
        state = "未开始" if not self.started else ("合格" if self.verdict.ready else "未合格")
        return state + ("" if self.on_roster else "（未核实）")


@dataclass
class Report:
    """A scope's people with verdicts, and the figures every view is drawn from.

    ``today`` is the local date; ``days_left`` the days until the visit (negative once it has passed).
    """

    scope: Scope
    rule: ReadinessRule
    today: date
    generated_at: datetime
    people: list[PersonStatus]
    unanswered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def days_left(self) -> int | None:
        """Days from today (local) to the visit date; None while the visit date is not set."""
        return None if self.rule.visit_date is None else (self.rule.visit_date - self.today).days

    def countdown(self) -> str:
        """The countdown to the visit as a Chinese sentence."""
        if self.rule.visit_date is None:
            return (f"{self.rule.visit_label}日期未设定（市级协调员发送 /visitdate YYYY-MM-DD，"
                    f"或运行 python -m bot visit-date YYYY-MM-DD）")
        when = f"{self.rule.visit_label}（{self.rule.visit_date.isoformat()}）"
        if self.days_left > 0:
            return f"距{when}还有 {self.days_left} 天"
        if self.days_left == 0:
            return f"今天{when}"
        return f"{when}已过去 {-self.days_left} 天"

    def unprepared(self) -> list[PersonStatus]:
        """Members who are not ready, least ready first: never started, then by the share of checks passed,
        then by the share of role questions right."""
        return sorted((p for p in self.people if not p.verdict.ready),
                      key=lambda p: (p.verdict.score, p.right / p.role_total if p.role_total else 0.0,
                                     p.last_activity_at or "", p.town, p.village, p.name))


def _now() -> datetime:
    from bot.kernel import clock

    return clock.now()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _interview_scores(store: Store, rule: ReadinessRule, scope: Scope, since: str) -> tuple[bool, dict[int, float]]:
    """Return (mock-interview table available, {person id: score since ``since``}) within the scope: the best,
    mean or latest score, as the rule's ``score_of`` says."""
    spec = rule.interview
    if spec is None or spec.table not in store.db.table_names():
        return False, {}
    columns = {c.name for c in store.db[spec.table].columns}
    if not {"person_id", spec.score_column, spec.time_column} <= columns:
        return False, {}
    score, at = f"i.{spec.score_column}", f"i.{spec.time_column}"
    # latest: SQLite's bare column beside max() comes from the row holding the latest time.
    pick = {"best": f"max({score}) as best", "mean": f"round(avg({score}), 1) as best",
            "latest": f"{score} as best, max({at}) as at"}[spec.score_of]
    sql = ("with " + _MEMBERS_SQL + f" select i.person_id, {pick} from {spec.table} i "
           f"where i.person_id in (select person_id from members where person_id is not null) "
           f"and {at} >= :since group by i.person_id")
    return True, {r["person_id"]: r["best"] for r in store.db.query(sql, {"town": scope.town, "since": since})}


def build_report(store: Store, kb: KnowledgeBase, rule: ReadinessRule, scope: Scope,
                 now: datetime | None = None, with_unanswered: bool = True) -> Report:
    """Query the scope's members and judge each against the rule.

    Args:
        store: the database.
        kb: the knowledge base (which quiz questions belong to which role, indicators).
        rule: the readiness rule.
        scope: city or one town; only that town's members are read from the database.
        now: the current time (aware; default: now), for "today", the windows and the countdown.
        with_unanswered: also read the scope's unanswered questions.
    Returns:
        the report, people ordered by town, village, role, name.
    """
    now = now or _now()
    role_totals = sync_role_questions(store, kb)
    since_window = _iso(now - timedelta(days=rule.window_days))
    since_practised = _iso(now - timedelta(days=rule.practised_days))
    available, interviews = (_interview_scores(store, rule, scope, _iso(now - timedelta(days=rule.interview.window_days)))
                             if rule.interview else (False, {}))
    village = _village_progress(store, scope) if rule.village else {}
    people = []
    with _paused_gc():
        since_answers = (_iso(now - timedelta(days=rule.answer_max_age_days)) if rule.answer_max_age_days else None)
        _judge_rows(people, store.db.query(_people_sql(rule), {"town": scope.town, "since_answers": since_answers}),
                    rule, role_totals, interviews,
                    available, since_window, since_practised, village)
    report = Report(scope, rule, now.astimezone(LOCAL_TZ).date(), now, people)
    if with_unanswered:
        report.unanswered = unanswered(store, scope)
    return report


def _village_progress(store: Store, scope: Scope) -> dict[int, tuple[int, int]]:
    """For the scope's people whose village has an imported sheet: person id → (questions on their own village
    their role must know, how many are right on the latest attempt). Empty when no sheet was imported."""
    if "village_facts" not in store.db.table_names() or not store.db.execute(
            "select 1 from village_facts limit 1").fetchone():
        return {}
    from bot.villages import VillageFacts, place_key

    with_sheet = {(t, v) for t, v in store.db.execute("select distinct town_key, village_key from village_facts")}
    facts = VillageFacts(store)
    out: dict[int, tuple[int, int]] = {}
    rows = store.db.query("with " + _MEMBERS_SQL + " select distinct person_id from members "
                          "where person_id is not null", {"town": scope.town})
    for row in rows:
        person = store.person_by_id(row["person_id"])
        if (place_key(person.town or "", "town"), place_key(person.village or "", "village")) not in with_sheet:
            continue
        ids = facts.must_know(person)
        if ids:
            marks = ",".join("?" * len(ids))
            right = store.db.execute(f"select count(*) from latest_answers where person_id = ? and correct = 1 "
                                     f"and question_id in ({marks})", [person.id, *ids]).fetchone()[0]
            out[person.id] = (len(ids), right)
    return out


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while tens of thousands of small acyclic objects are made (a city
    report): otherwise it traverses them again and again as they pile up, a third of the report's time. Reference
    counting still frees everything; the collector is back on afterwards if it was on before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _judge_rows(people: list[PersonStatus], rows: Iterable[dict[str, Any]], rule: ReadinessRule,
                role_totals: dict[str, int], interviews: dict[int, float], available: bool, since_window: str,
                since_practised: str, village: dict[int, tuple[int, int]] | None = None) -> None:
    """Append one :class:`PersonStatus` per row of ``_PEOPLE_SQL`` to ``people`` (``village``: person id →
    (village must-know questions, right on the latest attempt))."""
    village = village or {}
    field = {"attempts": "attempts", "first": "firsts"}.get(rule.accuracy_over)   # latest: answered, right
    for row in rows:
        started = row["person_id"] is not None
        answered, right = divmod(row["packed"] or 0, PACK)
        n, k, guess = (row["counted"] or "0 0 0").split()
        counted = {field: int(n), f"{field}_right": int(k)} if field else {}
        progress = Progress(started, answered, right, role_totals.get(row["role"], 0),
                            row["last_answer_at"], interviews.get(row["person_id"]), available,
                            *village.get(row["person_id"], (0, 0)), **counted, guess=float(guess))
        last = max(filter(None, (row["last_answer_at"], row["last_question_at"])), default=None)
        people.append(PersonStatus(
            row["roster_id"], row["person_id"], row["name"] or "（未填姓名）", row["role"] or "", row["town"] or "",
            row["village"] or "", bool(row["on_roster"]), started, answered, right,
            progress.role_total, row["last_answer_at"], last, row["unreachable_at"] is not None,
            bool(row["last_answer_at"] and row["last_answer_at"] >= since_practised),
            evaluate(rule, progress, since_window)))


def unanswered(store: Store, scope: Scope, below: float = 0.6, since: str | None = None) -> list[dict[str, Any]]:
    """Questions the bot abstained on or was unsure of, asked by members of the scope, most frequent first.

    For the city scope this includes people who never registered. Returns rows
    ``{"text", "count", "best_id", "max_score", "last_asked"}``.
    """
    sql = ("with " + _MEMBERS_SQL + " select aq.text, count(*) as count, max(aq.best_id) as best_id, "
           "max(aq.score) as max_score, max(aq.asked_at) as last_asked from asked_questions aq "
           "where (aq.abstained = 1 or aq.score < :below) and aq.verdict not in ('greeting', 'thanks', 'empty') "
           "and (:town is null or aq.person_id in (select person_id from members where person_id is not null)) ")
    params: dict[str, Any] = {"town": scope.town, "below": below}
    if since:
        sql += "and aq.asked_at >= :since "
        params["since"] = since
    sql += "group by aq.text order by count desc, last_asked desc"
    return [dict(r) for r in store.db.query(sql, params)]


def find_people(store: Store, kb: KnowledgeBase, rule: ReadinessRule, scope: Scope, name: str,
                now: datetime | None = None) -> list[PersonStatus]:
    """Return the scope's members named exactly ``name`` (several if the name repeats across villages)."""
    report = build_report(store, kb, rule, scope, now, with_unanswered=False)
    return [p for p in report.people if p.name == name.strip()]


def weak_indicators(store: Store, kb: KnowledgeBase, person_ids: list[int]) -> dict[int, list[tuple[str, int, int]]]:
    """Return {person id: [(indicator title, right, answered) ...]} for indicators with a wrong latest answer,
    weakest first (lowest share right, then most answered)."""
    if not person_ids:
        return {}
    title_of: dict[str, str] = {}
    for q in kb.questions:
        entry = kb.by_id.get(q.indicator) if q.indicator else kb.indicator_of(q.entry)
        if entry is not None:
            title_of[q.id] = entry.title
    out: dict[int, list[tuple[str, int, int]]] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.db.query(f"select person_id, question_id, correct from latest_answers "
                              f"where person_id in ({marks})", chunk)
        tally: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for r in rows:
            title = title_of.get(r["question_id"])
            if title:
                tally[r["person_id"]][title][0] += r["correct"]
                tally[r["person_id"]][title][1] += 1
        for pid, per in tally.items():
            weak = [(t, right, n) for t, (right, n) in per.items() if right < n]
            out[pid] = sorted(weak, key=lambda w: (w[1] / w[2], -w[2], w[0]))
    return out


# --- rendering -------------------------------------------------------------------------------------------------
