"""The web channel in a real browser: Debian's headless Chromium driven by Playwright against the app served by
uvicorn on 127.0.0.1, on a 360×640 phone screen. Each page is photographed into tests/output/screenshots/.

Skipped, with the reason, when /usr/bin/chromium is missing (a developer machine; CI installs it in .ci/run).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from bot.coordination.roster import entries
from bot.kernel.store import Store
from tests.web_support import code_of, coordinator_code, make_app

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "output" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium: apt-get install chromium chromium-driver "
                                       "fonts-wqy-microhei (.ci/run installs them)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(kb, tmp_path_factory):
    import uvicorn

    store = Store(tmp_path_factory.mktemp("web") / "web.db")
    app, dialog, _ = make_app(kb, store)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str, full_page: bool = False) -> None:
    """Save a screenshot; a cold headless Chromium sometimes fails its first capture ("Unable to capture
    screenshot"), so one failed capture is tried again after the page settles."""
    path = str(SHOTS / f"{name}.png")
    try:
        page.screenshot(path=path, full_page=full_page)
    except Exception:   # playwright's Error: the protocol call failed, not the page
        page.wait_for_timeout(500)
        page.screenshot(path=path, full_page=full_page)


def ask(page, text: str) -> None:
    page.fill("textarea[name=text]", text)
    page.click("form.compose button")
    page.wait_for_load_state()


def last_bot(page) -> str:
    return page.locator(".bubble.bot").last.inner_text()


def test_invite_question_answer_with_source(server, phone):
    base, store = server
    phone.goto(f"{base}/")
    shot(phone, "01-home")
    phone.goto(f"{base}/i/{code_of(store, '王德福')}")
    assert "王德福" in phone.inner_text("main")
    shot(phone, "02-invite")
    phone.click("text=是我本人，开始使用")
    assert phone.url.endswith("/chat")
    shot(phone, "03-chat-empty")
    ask(phone, "小额信贷逾期率要求多少")
    answer = phone.locator(".bubble.bot").nth(0).inner_text()
    assert "来源" in answer and "%" in answer
    shot(phone, "04-answer")


def test_used_invite_refused(server, phone, browser):
    base, store = server
    code = code_of(store, "陈海燕")
    phone.goto(f"{base}/i/{code}")
    phone.click("text=是我本人，开始使用")
    other = browser.new_context(viewport={"width": 360, "height": 640}).new_page()
    other.goto(f"{base}/i/{code}")
    assert "无效或已经用过" in other.inner_text("main")
    shot(other, "05-used-invite")
    other.context.close()


def test_practice_option_tap_and_fillin(server, phone):
    base, store = server
    phone.goto(f"{base}/i/{code_of(store, '林晓丽')}")
    phone.click("text=是我本人，开始使用")
    ask(phone, "/quiz 12")
    tapped = filled = 0
    for n in range(12):
        choices = phone.locator(".choices button")
        if choices.count():
            labels = [choices.nth(i).inner_text() for i in range(choices.count())]
            if any("提交" in label for label in labels):
                choices.nth(0).click()
                phone.wait_for_load_state()
                phone.locator(".choices button", has_text="提交").click()
            else:
                if tapped == 0:
                    shot(phone, "06-practice-options")
                choices.nth(0).click()
            tapped += 1
        else:
            if filled == 0:
                shot(phone, "07-practice-fillin")
            ask(phone, "30%")
            filled += 1
        phone.wait_for_load_state()
        text = phone.inner_text(".log")
        assert "回答正确" in text or "回答错误" in text
    assert tapped and filled
    assert "练习结束" in phone.inner_text(".log")
    shot(phone, "08-practice-done")


def test_interview_answer_graded(server, phone):
    base, store = server
    phone.goto(f"{base}/i/{code_of(store, '黄志坚')}")
    phone.click("text=是我本人，开始使用")
    phone.click(".shortcuts button:has-text('模拟访谈')")
    phone.wait_for_load_state()
    assert "模拟访谈开始" in phone.inner_text(".log")
    ask(phone, "我负责联系的农户都按要求走访了，掌握家庭收入和两不愁三保障情况，发现风险及时上报。")
    graded = phone.inner_text(".log")
    assert re.search(r"本题得分：\d+ 分", graded) and "来源" in graded
    shot(phone, "09-interview-graded")
    phone.goto(f"{base}/me")
    text = phone.inner_text("main")
    assert "是否准备好了" in text and "黄志坚" in text and "✘" in text
    shot(phone, "10-me")


def test_coordinator_report_download_and_other_town_refused(server, phone):
    base, store = server
    phone.goto(f"{base}/c/{coordinator_code(store, 'cli:jiaji')}")
    shot(phone, "11-coordinator-signin")
    phone.click("main form button.primary")
    phone.wait_for_url("**/report")
    text = phone.inner_text("main")
    assert "嘉积镇" in text and "王德福" in text and "冯春梅" not in text
    assert phone.evaluate("document.querySelector('img.chart').naturalWidth") > 0
    shot(phone, "12-report")
    shot(phone, "12-report-full", full_page=True)
    with phone.expect_download() as download:
        phone.click("text=下载 Excel 表格")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    own = next(e for e in entries(store) if e.name == "王德福")
    phone.goto(f"{base}/report/person/r{own.id}")
    assert "判定依据" in phone.inner_text("main")
    shot(phone, "13-person")
    phone.goto(f"{base}/report/unanswered")
    shot(phone, "14-unanswered")
    other = next(e for e in entries(store) if e.name == "冯春梅")
    response = phone.goto(f"{base}/report/person/r{other.id}")
    assert response.status == 404 and "没有这个页面" in phone.inner_text("main")
    shot(phone, "15-other-town-refused")
    assert phone.goto(f"{base}/report?town=博鳌镇").status == 404
