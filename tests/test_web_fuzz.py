"""Fuzz of the web channel's HTTP endpoints (hypothesis): generated text, forged form posts, forged button data,
odd paths and query strings. Never a 500, never a page or a reply over the limits, and nothing typed comes back
unescaped."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bot.adapters.web import chatlog
from bot.kernel.store import Store
from tests.web_support import code_of, coordinator_code, csrf, make_app

#: No page may be larger than this (bytes): 40 kept bubbles of at most 4 000 characters each, plus the frame.
MAX_PAGE_BYTES = 600_000

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
COMMANDS = st.sampled_from(["/quiz", "/quiz 3", "/practice", "/interview", "/me", "/village", "/cancel", "/start",
                            "/report", "/export", "/chart", "/person 王德福", "/unanswered", "/help", "/polls on"])
BUTTON = st.one_of(st.text(max_size=80), st.from_regex(r"q:[0-9]{1,6}:[0-9]{1,3}:[0-9a-z]{1,3}", fullmatch=True),
                   st.sampled_from(["role:village_secretary", "kb:nope", "kb:", "q:", "q:1:0:0", "role:"]))


@pytest.fixture(scope="module")
def clients(kb, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("fuzz") / "web.db")
    app, dialog, _ = make_app(kb, store)
    cadre, coordinator = TestClient(app), TestClient(app)
    for client, path, code in ((cadre, "/i/", code_of(store, "王德福")),
                               (coordinator, "/c/", coordinator_code(store, "cli:jiaji"))):
        page = client.get(f"{path}{code}")
        client.post(f"{path}{code}", data={"csrf": csrf(page.text)})
    return cadre, coordinator, store


def check(response) -> None:
    assert response.status_code < 500, response.text[:300]
    assert len(response.content) <= MAX_PAGE_BYTES


def check_log(store: Store) -> None:
    for person_id, in store.db.execute("select distinct person_id from web_messages").fetchall():
        for entry in chatlog.entries(store, person_id):
            assert len(entry.text) <= chatlog.MAX_SHOWN_CHARS
            assert all(len(data.encode()) <= 64 for row in entry.buttons for _, data in row)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=st.one_of(TEXT, COMMANDS, st.builds(lambda c, t: f"{c} {t}", COMMANDS, TEXT)), who=st.booleans())
def test_typed_text_never_breaks_a_page(clients, text, who):
    cadre, coordinator, store = clients
    client = cadre if who else coordinator
    token = csrf(client.get("/chat").text)
    response = client.post("/chat", data={"csrf": token, "text": text})
    check(response)
    if "<" in text.strip():   # what was typed comes back escaped, never as markup
        assert text.strip() not in response.text
    check_log(store)


@FUZZ
@given(button=BUTTON, label=TEXT, extra=st.dictionaries(st.text(min_size=1, max_size=10), TEXT, max_size=3))
def test_forged_button_posts(clients, button, label, extra):
    cadre, _, store = clients
    token = csrf(cadre.get("/chat").text)
    check(cadre.post("/chat", data={**extra, "csrf": token, "button": button, "label": label}))
    check_log(store)


@FUZZ
@given(token=st.one_of(st.just(""), TEXT), text=TEXT, path=st.sampled_from(["/chat", "/logout", "/i/x", "/c/x"]))
def test_forged_csrf_is_refused_and_changes_nothing(clients, token, text, path):
    cadre, _, store = clients
    before = store.db.execute("select count(*) from web_messages").fetchone()[0]
    response = cadre.post(path, data={"csrf": token, "text": text})
    check(response)
    assert response.status_code in (403, 404, 429)
    assert store.db.execute("select count(*) from web_messages").fetchone()[0] == before
    assert cadre.get("/chat", follow_redirects=False).status_code == 200   # still signed in


@FUZZ
@given(segment=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60),
       base=st.sampled_from(["/i/", "/c/", "/f/", "/report/person/", "/report?town=", "/report?page=",
                             "/report?usort=", "/report?sort=", "/report/chart.png?town=",
                             "/report/export.xlsx?town=", "/report/unanswered?town="]),
       who=st.booleans())
def test_odd_paths_and_queries(clients, segment, base, who):
    cadre, coordinator, _ = clients
    from urllib.parse import quote

    client = coordinator if who else cadre
    check(client.get(base + quote(segment, safe="")))


def test_oversized_posts_are_refused(clients):
    cadre, _, _ = clients
    token = csrf(cadre.get("/chat").text)
    response = cadre.post("/chat", data={"csrf": token, "text": "逾" * 20_000})
    assert response.status_code == 413 and "太长" in response.text
    cadre.post("/chat", data={"csrf": token, "text": "/cancel"})   # whatever the fuzz left open
    long = cadre.post("/chat", data={"csrf": token, "text": "逾期率" * 500})
    assert long.status_code == 200 and "消息太长了" in long.text
