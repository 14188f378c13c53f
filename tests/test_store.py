"""The store: WAL on a file database, migrations recorded once, answers kept across reopening."""

from bot.kernel.store import MIGRATIONS, Store


def test_file_database_uses_wal_and_a_busy_timeout(tmp_path):
    store = Store(tmp_path / "sub" / "shuxi.db")   # the folder is created on first run
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("pragma busy_timeout").fetchone()[0] >= 1000


def test_migrations_run_once_and_are_recorded(tmp_path):
    path = tmp_path / "shuxi.db"
    first = Store(path)
    assert [r["name"] for r in first.db["migrations"].rows] == [name for name, _ in MIGRATIONS]
    assert Store(path).migrate() == []


def test_answers_survive_reopening(tmp_path):
    path = tmp_path / "shuxi.db"
    store = Store(path)
    person = store.person("cli:a")
    session = store.start_session(person.id, ["q.one", "q.two"])
    store.record_answer(session, "正确", True)
    again = Store(path)
    assert [(a["question_id"], a["correct"]) for a in again.answers(again.person("cli:a").id)] == [("q.one", 1)]
    assert again.open_session(person.id).position == 1
