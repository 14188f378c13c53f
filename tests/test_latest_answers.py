"""latest_answers: the latest attempt per (person, question), kept by triggers in the transaction that records the
answer, back-filled for databases from before it, and what the reports read readiness from."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from bot.coordination import invites, reports, roster
from bot.coordination.readiness import ReadinessRule
from bot.coordination.reports import Scope, build_report, role_questions
from bot.kernel import store as store_module
from bot.kernel.store import Store

ROSTER = "姓名,角色,镇,村\n甲一,村党组织书记,甲镇,一村\n甲二,帮扶联系人,甲镇,一村\n乙一,村党组织书记,乙镇,二村\n"


def latest(store: Store) -> dict[tuple[int, str], tuple[int, int]]:
    return {(r["person_id"], r["question_id"]): (r["answer_id"], r["correct"])
            for r in store.db.query("select * from latest_answers")}


def from_log(store: Store) -> dict[tuple[int, str], tuple[int, int]]:
    """The same, computed the slow way from every answer."""
    out: dict[tuple[int, str], tuple[int, int]] = {}
    for r in store.db.query("select id, person_id, question_id, correct from quiz_answers order by id"):
        out[(r["person_id"], r["question_id"])] = (r["id"], r["correct"])
    return out


def test_latest_attempt_follows_each_answer_and_a_double_tap_changes_nothing(store):
    person = store.person("cli:a")
    first = store.start_session(person.id, ["q.one", "q.two"])
    first = store.record_answer(first, "x", False)
    assert latest(store) == {(person.id, "q.one"): (1, 0)}
    second = store.start_session(person.id, ["q.one"])
    store.record_answer(second, "y", True)
    assert latest(store)[(person.id, "q.one")] == (2, 1)
    # The one-answer-per-question-per-session guarantee is kept: a second tap on the same question is ignored,
    # and the latest attempt stays the recorded one.
    assert store.record_answer(second, "z", False) is None
    assert store.db["quiz_answers"].count == 2 and latest(store)[(person.id, "q.one")] == (2, 1)
    assert latest(store) == from_log(store)


def test_deleting_or_correcting_an_answer_keeps_it_true(store):
    person = store.person("cli:a")
    for correct in (True, False, True):
        session = store.start_session(person.id, ["q.one"])
        store.record_answer(session, "x", correct)
    store.db.execute("delete from quiz_answers where id = 3")
    assert latest(store) == from_log(store) == {(person.id, "q.one"): (2, 0)}
    store.db.execute("update quiz_answers set correct = 1 where id = 2")
    store.db.execute("update quiz_answers set question_id = 'q.two' where id = 1")
    assert latest(store) == from_log(store)
    store.db.execute("delete from quiz_answers")
    assert latest(store) == {}


def test_an_existing_database_is_back_filled(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    before = [m for m in store_module.MIGRATIONS if m[0] < "004_latest_answers"]
    monkeypatch.setattr(store_module, "MIGRATIONS", before)
    old = Store(path)
    rng = random.Random(3)
    for n in range(40):
        person = old.person(f"cli:{n % 5}")
        session = old.start_session(person.id, [f"q.{rng.randrange(6)}"])
        old.record_answer(session, "x", rng.random() < 0.5)
    assert "latest_answers" not in old.db.table_names()
    old.db.conn.close()
    monkeypatch.undo()
    upgraded = Store(path)
    assert "004_latest_answers" in {r["name"] for r in upgraded.db["migrations"].rows}
    assert latest(upgraded) == from_log(upgraded) and len(latest(upgraded)) > 5
    assert not upgraded.db.execute("select 1 from sqlite_master where name = 'idx_quiz_answers_latest'").fetchone()


def test_reports_count_the_latest_attempt_of_role_questions_only(store, kb, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(ROSTER, encoding="utf-8")
    roster.import_file(store, path)
    rng = random.Random(5)
    expected = {}
    for name, key in (("甲一", "tg:1"), ("甲二", "tg:2"), ("乙一", "tg:3")):
        entry = next(e for e in roster.entries(store) if e.name == name)
        person = store.person(key)
        invites.redeem_invite(store, person, entry.invite_code)
        person = store.person(key)
        ids = [q.id for q in kb.questions]
        for _ in range(6):
            picked = rng.sample(ids, 15)
            session = store.start_session(person.id, picked)
            for _ in picked:
                session = store.record_answer(session, "x", rng.random() < 0.6)
        mine = set(role_questions(kb)[person.role])   # the role's curriculum, as /practice serves it
        log = {qid: c for (pid, qid), (_, c) in from_log(store).items() if pid == person.id and qid in mine}
        expected[name] = (len(log), sum(log.values()))
    rule = ReadinessRule(visit_date=datetime.now(timezone.utc).date() + timedelta(days=5), min_answered=5)
    city = {p.name: (p.answered, p.right) for p in build_report(store, kb, rule, Scope(None)).people}
    assert city == expected
    town = {p.name: (p.answered, p.right) for p in build_report(store, kb, rule, Scope("甲镇")).people}
    assert town == {k: v for k, v in expected.items() if k != "乙一"}


@pytest.mark.parametrize("statement", ["insert or ignore", "insert or replace", "insert"])
def test_the_trigger_works_under_any_conflict_policy(store, statement):
    person = store.person("cli:a")
    for n, correct in enumerate((1, 0, 1), start=1):
        store.db.execute(f"{statement} into quiz_answers (person_id, session_id, question_id, chosen, correct, "
                         "mode, answered_at) values (?, ?, 'q.one', 'x', ?, 'quiz', ?)",
                         [person.id, n, correct, f"2026-11-0{n}T00:00:00+00:00"])
    assert latest(store) == from_log(store) == {(person.id, "q.one"): (3, 1)}


# --- person_progress: the role's questions answered and right, per person ----------------------------------------

def progress(store: Store) -> dict[int, tuple[str | None, int, int]]:
    return {r["person_id"]: (r["role"], r["answered"], r["correct"])
            for r in store.db.query("select * from person_progress")}


def progress_from_log(store: Store) -> dict[int, tuple[str | None, int, int]]:
    """The same, computed the slow way: every answer, the people's roles and the role_questions table."""
    members = {(r, q) for r, q in store.db.execute("select role, question_id from role_questions")}
    out = {}
    log = from_log(store)
    for pid, role in store.db.execute("select id, role from people"):
        mine = [c for (p, q), (_, c) in log.items() if p == pid and (role, q) in members]
        out[pid] = (role, len(mine), sum(c or 0 for c in mine))
    return out


def by_role(mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """{question id: its roles} turned into {role: question ids}, as sync_role_questions takes it."""
    out: dict[str, list[str]] = {}
    for qid, roles in mapping.items():
        for role in roles:
            out.setdefault(role, []).append(qid)
    return out


BANK = {f"q.{n}": roles for n, roles in enumerate(
    [["village_secretary"], ["village_secretary", "household_contact"], ["household_contact"], [],
     ["village_doctor"], ["village_secretary"], ["household_contact", "village_doctor"], ["village_secretary"]])}


def test_person_progress_stays_equal_to_the_answer_log(store):
    rng = random.Random(11)
    assert reports.sync_role_questions(store, by_role=by_role(BANK)) == {
        "village_secretary": 4, "household_contact": 3, "village_doctor": 2}
    keys = [f"cli:{n}" for n in range(6)]
    roles = ["village_secretary", "household_contact", "village_doctor", None]
    for step in range(300):
        person = store.person(rng.choice(keys))
        action = rng.random()
        if action < 0.6:
            session = store.start_session(person.id, rng.sample(list(BANK), 3))
            for _ in range(rng.randrange(4)):
                session = store.record_answer(session, "x", rng.random() < 0.5) or session
                if session.status != "open":
                    break
        elif action < 0.7:
            store.db.execute("update people set role = ? where id = ?", [rng.choice(roles), person.id])
        elif action < 0.8:
            store.db.execute("delete from quiz_answers where id = (select max(id) from quiz_answers where person_id = ?)",
                             [person.id])
        elif action < 0.9:
            store.db.execute("update quiz_answers set correct = 1 - correct where id = "
                             "(select min(id) from quiz_answers where person_id = ?)", [person.id])
        else:
            store.db.execute("update or ignore quiz_answers set question_id = ? where id = "
                             "(select max(id) from quiz_answers where person_id = ?)", [rng.choice(list(BANK)), person.id])
        if step % 50 == 49:
            assert progress(store) == progress_from_log(store), f"after step {step}"
    # The quiz bank changes: every row is rebuilt from the log.
    changed = {**BANK, "q.3": ["village_doctor"], "q.9": ["village_secretary"]}
    del changed["q.0"]
    reports.sync_role_questions(store, by_role=by_role(changed))
    assert progress(store) == progress_from_log(store)


def test_a_person_registered_with_another_role_than_the_roster_is_counted_for_the_roster_role(store, kb, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(ROSTER, encoding="utf-8")
    roster.import_file(store, path)
    entry = next(e for e in roster.entries(store) if e.name == "甲二")
    person = store.person("tg:2")
    invites.redeem_invite(store, person, entry.invite_code)
    ids = [q.id for q in kb.questions if "household_contact" in {r.value for r in q.roles}][:8]
    session = store.start_session(person.id, ids)
    for i in range(len(ids)):
        session = store.record_answer(session, "x", i % 2 == 0)
    store.register(person.id, "甲二", "village_doctor", "甲镇", "一村")   # /start again, another role
    rule = ReadinessRule(visit_date=datetime.now(timezone.utc).date() + timedelta(days=5), min_answered=5)
    jia = next(p for p in build_report(store, kb, rule, Scope("甲镇")).people if p.name == "甲二")
    assert (jia.role, jia.answered, jia.right) == ("household_contact", 8, 4)


def test_an_existing_database_gets_person_progress(tmp_path, monkeypatch, kb):
    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", [m for m in store_module.MIGRATIONS if m[0] < "006"])
    old = Store(path)
    person = old.person("cli:a")
    old.register(person.id, "某", "village_secretary", "甲镇", "一村")
    ids = [q.id for q in kb.questions if "village_secretary" in {r.value for r in q.roles}][:6]
    session = old.start_session(person.id, ids)
    for i in range(6):
        session = old.record_answer(session, "x", i < 5)
    old.db.conn.close()
    monkeypatch.undo()
    upgraded = Store(path)
    assert progress(upgraded) == {person.id: ("village_secretary", 0, 0)}, "zeros until the first report"
    rule = ReadinessRule(visit_date=datetime.now(timezone.utc).date() + timedelta(days=5), min_answered=5)
    [me] = build_report(upgraded, kb, rule, Scope("甲镇")).people
    assert (me.answered, me.right) == (6, 5) and progress(upgraded) == {person.id: ("village_secretary", 6, 5)}
