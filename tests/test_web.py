"""The web channel over HTTP (Starlette's TestClient): invite sign-in binds one person with one history, the chat
is the dialog's, coordinator pages stay in scope, every form needs its CSRF token, codes are limited per address."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from starlette.testclient import TestClient

from bot.adapters.web.signin import AttemptLimiter
from bot.coordination.roster import entries
from bot.kernel.messages import Incoming
from bot.kernel.store import Store
from tests.web_support import buttons, code_of, coordinator_code, csrf, link_code, make_app


@pytest.fixture
def web(kb, tmp_path):
    store = Store(tmp_path / "web.db")
    app, dialog, commands = make_app(kb, store)
    client = TestClient(app, base_url="http://testserver", follow_redirects=True)
    return client, store, dialog


def sign_in(client: TestClient, code: str, path: str = "/i/"):
    page = client.get(f"{path}{code}")
    assert page.status_code == 200, page.text
    return client.post(f"{path}{code}", data={"csrf": csrf(page.text)})


def say(client: TestClient, text: str):
    page = client.get("/chat")
    return client.post("/chat", data={"csrf": csrf(page.text), "text": text})


def press(client: TestClient, label_part: str):
    page = client.get("/chat")
    label, data = next(b for b in buttons(page.text) if label_part in b[0])
    return client.post("/chat", data={"csrf": csrf(page.text), "button": data, "label": label})


def test_invite_link_signs_in_and_answers_a_question_with_its_source(web):
    client, store, dialog = web
    home = client.get("/")
    assert "邀请链接" in home.text
    confirm = client.get(f"/i/{code_of(store, '王德福')}")
    assert "王德福" in confirm.text and "红星村" in confirm.text
    chat = sign_in(client, code_of(store, "王德福"))
    assert chat.url.path == "/chat"
    page = say(client, "小额信贷逾期率要求多少")
    assert "来源" in page.text and "逾期率" in page.text
    person = store.person_by_id(next(e.person_id for e in entries(store) if e.name == "王德福"))
    assert person.key.startswith("web:") and person.registered and person.role == "village_secretary"
    logged = store.db.execute("select channel from asked_questions where person_id = ?", [person.id]).fetchall()
    assert logged == [("web",)]


def test_session_cookie_is_httponly_and_samesite(web):
    client, store, _ = web
    page = client.get(f"/i/{code_of(store, '王德福')}")
    response = client.post(f"/i/{code_of(store, '王德福')}", data={"csrf": csrf(page.text)}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["location"] == "/chat"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_used_and_unknown_invites_get_the_same_refusal(web, kb):
    client, store, _ = web
    code = code_of(store, "王德福")
    sign_in(client, code)
    other = TestClient(client.app)
    used, unknown = other.get(f"/i/{code}"), other.get("/i/NoSuchCode123")
    assert used.status_code == unknown.status_code == 404
    assert used.text == unknown.text and "无效或已经用过" in used.text
    assert other.get("/chat", follow_redirects=False).status_code == 303   # still nobody


def test_telegram_bound_person_is_the_same_person_on_the_web(web):
    """A roster code used on Telegram opens nothing on the web (a forwarded link is worth nothing); the person's
    own /link code signs the browser in as the same person, with one history."""
    client, store, dialog = web
    code = code_of(store, "林晓丽")
    dialog.handle(Incoming("tg:4242", text=f"/start {code}", channel="telegram"))
    dialog.handle(Incoming("tg:4242", text="/quiz 3", channel="telegram"))
    tg = store.person("tg:4242")
    assert tg.name == "林晓丽"
    stranger = TestClient(client.app)
    assert stranger.get(f"/i/{code}").status_code == 404
    linked = dialog.handle(Incoming("tg:4242", text="/link", channel="telegram"))[0].text
    sign_in(client, link_code(linked))
    page = client.get("/me")
    assert "林晓丽" in page.text
    say(client, "两后生")
    rows = store.db.execute("select distinct person_id from asked_questions").fetchall()
    assert rows == [(tg.id,)]            # one person, one history
    # the quiz started on Telegram is the browser's too
    assert "已结束本次练习（还没有作答）" in say(client, "/cancel").text
    assert store.db.execute("select count(*) from people where key like 'web:%'").fetchone()[0] == 0
    assert TestClient(client.app).get(f"/i/{link_code(linked)}").status_code == 404   # a link code works once


def test_practice_option_tap_and_fillin(web):
    client, store, dialog = web
    sign_in(client, code_of(store, "王德福"))
    page = say(client, "/quiz 12")
    assert "开始练习，共 12 题" in page.text
    answered_tap = answered_fill = 0
    for _ in range(12):
        html = client.get("/chat").text
        choices = buttons(html)
        if choices and not any("提交" in label for label, _ in choices):
            page = press(client, choices[0][0])
            answered_tap += 1
        elif choices:   # multiple choice: tick the first, then 提交
            press(client, choices[0][0])
            page = press(client, "提交")
            answered_tap += 1
        else:
            page = say(client, "30%")
            answered_fill += 1
        assert "回答正确" in page.text or "回答错误" in page.text
    assert answered_tap and answered_fill
    person_id = next(e.person_id for e in entries(store) if e.name == "王德福")
    assert len(store.answers(person_id)) == 12


def test_interview_answer_is_graded_with_points_missed(web):
    client, store, _ = web
    sign_in(client, code_of(store, "王德福"))
    page = say(client, "/interview")
    assert "模拟访谈开始" in page.text
    page = say(client, "我们村按要求开展了动态监测，对脱贫户和监测对象及时帮扶。")
    assert re.search(r"本题得分：\d+ 分", page.text) and "漏了" in page.text and "来源" in page.text


def test_me_shows_the_readiness_checks(web):
    client, store, _ = web
    sign_in(client, code_of(store, "王德福"))
    page = client.get("/me")
    assert "是否准备好了" in page.text and "✘" in page.text and "未合格" in page.text


def test_names_and_typed_text_are_escaped(web):
    client, store, _ = web
    sign_in(client, code_of(store, "<b>李&明"))
    page = say(client, "<script>alert(1)</script>")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "<b>李" not in client.get("/me").text


def test_forms_need_the_csrf_token(web):
    client, store, _ = web
    sign_in(client, code_of(store, "王德福"))
    forged = client.post("/chat", data={"text": "/quiz", "csrf": "forged-token-from-elsewhere"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    assert client.post("/logout", data={}).status_code == 403
    assert not store.db.execute("select 1 from quiz_sessions").fetchone()


def test_logout_ends_the_session_on_the_server(web):
    client, store, _ = web
    sign_in(client, code_of(store, "王德福"))
    stolen = dict(client.cookies)
    page = client.get("/chat")
    assert client.post("/logout", data={"csrf": csrf(page.text)}).status_code == 200
    assert client.get("/chat", follow_redirects=False).status_code == 303
    thief = TestClient(client.app, cookies=stolen)
    assert thief.get("/chat", follow_redirects=False).status_code == 303


def test_coordinator_report_download_and_scope(web):
    client, store, _ = web
    code = coordinator_code(store, "cli:jiaji")
    page = sign_in(client, code, "/c/")
    assert page.url.path == "/report" and "嘉积镇" in page.text and "王德福" in page.text
    assert "冯春梅" not in page.text             # 博鳌镇
    assert "未准备好的人员" in page.text and "✘" in page.text
    xlsx = client.get("/report/export.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    names = {row[2] for row in book["人员"].iter_rows(min_row=2, values_only=True)}
    assert "王德福" in names and "冯春梅" not in names
    assert client.get("/report/chart.png").content[:8] == b"\x89PNG\r\n\x1a\n"
    own = next(e for e in entries(store) if e.name == "王德福")
    other = next(e for e in entries(store) if e.name == "冯春梅")
    assert client.get(f"/report/person/r{own.id}").status_code == 200
    nowhere = client.get("/report/person/r999999")
    for url in (f"/report/person/r{other.id}", "/report?town=博鳌镇", "/report/chart.png?town=博鳌镇",
                "/report/export.xlsx?town=博鳌镇", "/report/unanswered?town=博鳌镇"):
        refused = client.get(url)
        assert (refused.status_code, refused.text) == (404, nowhere.text), url
    # a used coordinator code is refused like an unknown one
    assert TestClient(client.app).get(f"/c/{code}").status_code == 404


def test_city_coordinator_drills_down_and_cadres_get_no_report(web):
    client, store, _ = web
    sign_in(client, coordinator_code(store, "cli:city"), "/c/")
    page = client.get("/report")
    assert "冯春梅" in page.text and "王德福" in page.text and "博鳌镇" in page.text
    town = client.get("/report", params={"town": "博鳌镇"})
    assert "冯春梅" in town.text and "王德福" not in town.text
    assert client.get("/report", params={"town": "不存在镇"}).status_code == 404
    sorted_page = client.get("/report", params={"usort": "2", "udir": "asc"})
    assert sorted_page.status_code == 200
    cadre = TestClient(client.app)
    sign_in(cadre, code_of(store, "王德福"))
    assert cadre.get("/report").status_code == 404
    assert cadre.get("/report/export.xlsx").status_code == 404


def test_chat_attachments_are_only_their_owners(web):
    client, store, _ = web
    sign_in(client, coordinator_code(store, "cli:jiaji"), "/c/")
    page = say(client, "/export")
    link = re.search(r'href="(/f/[^"]+)"', page.text).group(1)
    assert client.get(link).content[:2] == b"PK"
    cadre = TestClient(client.app)
    sign_in(cadre, code_of(store, "王德福"))
    assert cadre.get(link).status_code == 404


def test_invite_attempts_are_limited_per_address(kb, tmp_path):
    store = Store(tmp_path / "web.db")
    app, _, _ = make_app(kb, store, limiter=AttemptLimiter(limit=3, window_s=600))
    client = TestClient(app)
    for n in range(3):
        assert client.get(f"/i/guess{n}").status_code == 404
    blocked = client.get(f"/i/{code_of(store, '王德福')}")
    assert blocked.status_code == 429 and "尝试次数太多" in blocked.text


def test_roster_invites_print_web_links(tmp_path):
    import subprocess
    import sys

    from tests.web_support import ROOT, SAMPLE
    env = {"SHUXI_DB": str(tmp_path / "cli.db"), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", *a], cwd=ROOT, env=env,   # noqa: E731
                                    capture_output=True, text=True)
    assert run("roster", "import", str(SAMPLE)).returncode == 0
    out = run("roster", "invites", "--web-base", "https://shuxi.example.cn/", "--town", "嘉积镇")
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 12 and re.fullmatch(r".*\thttps://shuxi\.example\.cn/i/[\w-]{12}", lines[1])
    link = run("coordinators", "web-code", "cli:jiaji", "--web-base", "https://shuxi.example.cn")
    assert re.fullmatch(r"https://shuxi\.example\.cn/c/[\w-]{24}\n", link.stdout)
    assert run("coordinators", "web-code", "tg:1").returncode == 1
    assert run("roster", "invites").returncode == 2


def test_web_first_then_telegram_by_the_persons_own_link_code(web):
    """Someone who signs in on the web first and joins Telegram later is one person with one history — by a
    /link code made on the web; the roster code itself, used once, is refused on Telegram."""
    client, store, dialog = web
    code = code_of(store, "林晓丽")
    sign_in(client, code)
    say(client, "两后生")
    web_person = store.db.execute("select person_id from roster where invite_code = ?", [code]).fetchone()[0]
    dialog.handle(Incoming("tg:5151", text="你好", channel="telegram"))   # first contact
    assert "用过" in dialog.handle(Incoming("tg:5151", text=f"/start {code}", channel="telegram"))[0].text
    reply = dialog.handle(Incoming("tg:5151", text=f"/start {link_code(say(client, '/link').text)}",
                                   channel="telegram"))[0].text
    assert "绑定成功" in reply and "林晓丽" in reply
    assert store.person("tg:5151").id == web_person
    dialog.handle(Incoming("tg:5151", text="小额信贷逾期率", channel="telegram"))
    say(client, "危房改造")
    asked = {r[0] for r in store.db.execute("select person_id from asked_questions where text != '你好'")}
    assert asked == {web_person}
    assert "林晓丽" in client.get("/me").text


def test_a_telegram_account_with_its_own_history_does_not_take_over_a_web_person(web):
    client, store, dialog = web
    sign_in(client, code_of(store, "林晓丽"))
    dialog.handle(Incoming("tg:6161", text="/quiz 2", channel="telegram"))
    reply = dialog.handle(Incoming("tg:6161", text=f"/start {link_code(say(client, '/link').text)}",
                                   channel="telegram"))[0].text
    assert "已经有自己的练习记录" in reply
    assert store.person("tg:6161").name != "林晓丽"


def test_a_coordinator_reissues_a_lost_web_sign_in_to_the_same_person(web, capsys):
    """After a logout (or a new phone) `roster web-reissue NAME` ends the person's sessions and frees their link
    once more; the new browser is the same person with the same history."""
    from bot.cli import main

    client, store, dialog = web
    code = code_of(store, "王德福")
    sign_in(client, code)
    say(client, "两后生")
    person_id = store.db.execute("select person_id from roster where invite_code = ?", [code]).fetchone()[0]
    assert TestClient(client.app).get(f"/i/{code}").status_code == 404   # used on the web
    db_path = store.db.conn.execute("pragma database_list").fetchone()[2]
    capsys.readouterr()
    assert main(["--db", db_path, "roster", "web-reissue", "王德福", "--web-base", "https://x.example"]) == 0
    new_link = capsys.readouterr().out.strip().split("\t")[-1]
    assert new_link.startswith("https://x.example/i/L")
    assert client.get("/chat", follow_redirects=False).status_code == 303   # the old browser is signed out
    fresh = TestClient(client.app)
    sign_in(fresh, new_link.rsplit("/", 1)[1])
    assert "王德福" in fresh.get("/me").text
    assert {r[0] for r in store.db.execute("select distinct person_id from asked_questions")} == {person_id}
    assert main(["--db", db_path, "roster", "web-reissue", "无此人"]) == 1
