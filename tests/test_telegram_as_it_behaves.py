"""Telegram as it really behaves (issue 12), each through the real python-telegram-bot Application against the
strict offline Bot API: double taps, old buttons, flood control, blocked people, registration interrupted by a
question, channel posts, groups, edited messages, start-up without network or with a rejected token, the order
of one person's messages, reminders going out while conversations continue, and the webhook."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.adapters.telegram import Outgoing, Webhook, send_many, serve
from bot.cli import build_parser, main, make_dialog
from bot.coordination import roster
from bot.kernel.roles import Role

from .fake_bot_api import BOT_USER, FakeBotAPI
from .telegram_harness import CHAT, GROUP, USER, Harness, buttons, mention

ROOT = Path(__file__).resolve().parents[1]
ERROR_TEXT = "出错了"


@pytest.fixture
def tg(dialog):
    harness = Harness(dialog)
    yield harness
    harness.close()


def no_error_reply(api: FakeBotAPI) -> bool:
    return not any(ERROR_TEXT in p.get("text", "") for m, p in api.calls + [(m, p) for m, p, _ in api.refused])


# --- 1. the same option pressed twice ---------------------------------------------------------------------------

def test_the_same_option_pressed_twice_is_one_answer_and_no_error(tg, store):
    options = buttons(tg.send("/quiz 2"))
    # Both presses leave the phone before the bot has answered the first: both carry the message as it was.
    first = tg.api.press(options[0]["callback_data"], CHAT["id"], USER)
    second = tg.api.press(options[0]["callback_data"], CHAT["id"], USER)
    tg.feed({"callback_query": first}, {"callback_query": second})
    sent = tg.api.sent()
    assert "第 2/2 题" in sent[0]["text"] and "已经答过" in sent[1]["text"]
    assert store.db["quiz_answers"].count == 1
    assert no_error_reply(tg.api) and not [r for r in tg.api.refused if r[2] == 400]


def test_a_multiple_choice_tick_edits_the_question_and_an_unchanged_edit_is_not_sent(tg, dialog, store):
    person = store.person(f"tg:{USER['id']}")
    mc = next(q for q in dialog.quiz.bank.values() if q.type.value == "multiple")
    store.start_session(person.id, [mc.id])
    sent = tg.send("提交")   # nothing ticked yet: the question again, with a note
    assert "还没有勾选" in sent[0]["text"]
    submit, tick = buttons(sent)[-1]["callback_data"], buttons(sent)[0]["callback_data"]
    tg.calls()
    presses = [tg.api.press(submit, CHAT["id"], USER) for _ in range(2)]
    tg.feed(*({"callback_query": p} for p in presses))
    assert tg.calls() == ["answerCallbackQuery", "answerCallbackQuery"], "nothing changed: no edit is sent"
    tg.press(tick)
    assert sorted(tg.calls()) == ["answerCallbackQuery", "editMessageText"]
    assert "✅" in json.dumps(tg.api.last_message(CHAT["id"])["reply_markup"], ensure_ascii=False)
    assert no_error_reply(tg.api) and not tg.api.refused


# --- 2. a button pressed long after it was sent -----------------------------------------------------------------

def test_a_button_pressed_long_after_is_still_handled(tg, store, caplog):
    caplog.set_level(logging.INFO)
    options = buttons(tg.send("/quiz 2"))
    sent = tg.press(options[0]["callback_data"], age_s=60)
    assert [(m, code) for m, _, code in tg.api.refused] == [("answerCallbackQuery", 400)]
    assert "回答正确" in sent[0]["text"] or "回答错误" in sent[0]["text"]
    assert store.db["quiz_answers"].count == 1 and no_error_reply(tg.api)
    assert "could not answer the button press" in caplog.text


# --- 3. flood control on an ordinary reply; a blocked person -----------------------------------------------------

def test_an_ordinary_reply_waits_out_flood_control_and_arrives(tg):
    tg.api.flood_method["sendMessage"] = 1
    started = time.monotonic()
    sent = tg.send("小额信贷逾期率要求多少")
    assert time.monotonic() - started >= 1.0, "Telegram asked for a second's pause"
    assert len(sent) == 1 and "0.5%" in sent[0]["text"]
    assert [(m, code) for m, _, code in tg.api.refused] == [("sendMessage", 429)]
    assert no_error_reply(tg.api)


def test_a_person_who_blocked_the_bot_gets_no_apology_and_is_marked_unreachable(tg, store):
    tg.api.blocked.add(USER["id"])
    tg.send("小额信贷逾期率要求多少")
    assert [(m, code) for m, _, code in tg.api.refused] == [("sendMessage", 403)], "one refused reply, no apology"
    row = store.db.execute("select unreachable_at from contact_status where person_id = ?",
                           [store.person(f"tg:{USER['id']}").id]).fetchone()
    assert row and row[0]


# --- 4. a question typed while registration asks for the name --------------------------------------------------

def test_a_question_during_registration_is_answered_and_registration_resumes(tg, store):
    tg.send("/start")
    sent = tg.send("小额信贷逾期率要求多少")
    text = "\n".join(p["text"] for p in sent)
    assert "0.5%" in text and "请继续登记：请输入您的姓名" in text and "不像姓名" not in text
    roles = buttons(tg.send("李四"))
    assert {"text": Role.village_secretary.label, "callback_data": "role:village_secretary"} in roles


# --- 5. a channel post ------------------------------------------------------------------------------------------

def test_a_channel_post_is_ignored(tg, caplog):
    channel = {"id": -100555, "type": "channel", "title": "乡村振兴通知"}
    tg.calls()
    with caplog.at_level(logging.WARNING):
        tg.feed({"channel_post": {"message_id": 1, "date": 0, "chat": channel, "text": "逾期率"}},
                {"edited_channel_post": {"message_id": 1, "date": 0, "edit_date": 1, "chat": channel,
                                         "text": "逾期率多少"}})
    assert tg.calls() == [] and not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- 6. groups --------------------------------------------------------------------------------------------------

@pytest.fixture
def coordinator_bot(tmp_path, monkeypatch):
    monkeypatch.setenv("SHUXI_COORDINATORS", f"tg:{USER['id']}=city")
    dialog = make_dialog(build_parser().parse_args(["--db", str(tmp_path / "shuxi.db"), "chat"]))
    roster.import_file(dialog.store, ROOT / "tests" / "data" / "roster_people.csv")
    harness = Harness(dialog)
    yield harness
    harness.close()


def test_coordinator_commands_in_a_group_show_nobody_and_point_to_the_private_chat(coordinator_bot):
    tg = coordinator_bot
    private = "\n".join(p["text"] for p in tg.send("/unprepared"))
    assert "陈海燕" in private, "the coordinator's own chat gets the list"
    username = BOT_USER["username"]
    for command in ("/report", "/unprepared", "/export", "/person 陈海燕", "/practice", "/start"):
        text = command.replace(" ", f"@{username} ", 1) if " " in command else f"{command}@{username}"
        sent = tg.send(text, chat=GROUP)
        assert len(sent) == 1 and "请私聊我" in sent[0]["text"] and sent[0]["chat_id"] == GROUP["id"]
        assert "陈海燕" not in sent[0]["text"] and "符文强" not in sent[0]["text"]
    assert not tg.api.sent("sendDocument") and not tg.api.sent("sendPhoto")


def test_in_a_group_only_questions_addressed_to_the_bot_are_answered(tg, store):
    assert tg.send("今天下午几点开会？", chat=GROUP) == [], "ordinary chatter is left alone"
    assert tg.send("/frobnicate", chat=GROUP) == [] and tg.send("/start@other_bot", chat=GROUP) == []
    text, entities = mention("小额信贷逾期率要求多少")
    sent = tg.send(text, chat=GROUP, entities=entities)
    assert "0.5%" in sent[0]["text"] and sent[0]["reply_parameters"]["message_id"] == tg.message_id
    assert "0.5%" in tg.send("/ask 小额信贷逾期率要求多少", chat=GROUP)[0]["text"]
    bot_message = {"message_id": 1, "date": 0, "chat": GROUP, "from": BOT_USER, "text": "……"}
    assert "0.5%" in tg.send("逾期率多少", chat=GROUP, reply_to=bot_message)[0]["text"]


def test_a_question_in_a_group_leaves_the_private_quiz_alone(tg, store):
    tg.send("/quiz 2")
    session = store.open_session(store.person(f"tg:{USER['id']}").id)
    sent = tg.send("/ask 逾期率", chat=GROUP)
    assert all(p["chat_id"] == GROUP["id"] for p in sent) and "练习还在进行中" not in sent[0]["text"]
    assert not buttons(sent) or all(b["callback_data"].startswith("kb:") for b in buttons(sent))
    assert store.open_session(session.person_id).position == session.position == 0


# --- 7. an edited message during a mock interview ---------------------------------------------------------------

def test_an_edited_message_is_not_graded_as_the_next_answer(tg, store):
    tg.send("/start")
    tg.send("李四")
    tg.press("role:village_secretary")
    tg.send("嘉积镇")
    tg.send("椰林村")
    assert "模拟访谈 第 1/" in "".join(p["text"] for p in tg.send("/interview"))
    answer = tg.message("脱贫不稳定户、边缘易致贫户和突发严重困难户纳入监测")
    tg.feed({"message": answer})
    graded = tg.api.sent()
    assert "本题得分" in graded[0]["text"] and "第 2/" in graded[-1]["text"]
    tg.feed({"edited_message": {**answer, "edit_date": 1, "text": answer["text"] + "，及时帮扶"}})
    sent = tg.api.sent()
    assert len(sent) == 1 and "不算作答" in sent[0]["text"] and "本题得分" not in sent[0]["text"]
    assert store.open_session(store.person(f"tg:{USER['id']}").id).position == 1


# --- 8. start-up: no network, a rejected token; the webhook -----------------------------------------------------

class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_no_network_at_start_is_retried_with_one_line_per_failure(dialog, caplog):
    api = FakeBotAPI()
    api.network_down = 3
    polled = []

    def first_poll():   # the bot is up and polling: stop it as Ctrl-C would
        if not polled:
            polled.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    api.on_get_updates = first_poll
    sleeps = Sleeps()
    with caplog.at_level(logging.INFO):
        serve("123456:SECRET-TOKEN", dialog, request=api, sleep=sleeps)
    failures = [r for r in caplog.records if "cannot reach Telegram" in r.getMessage()]
    assert len(failures) == 3 and sleeps == [2.0, 4.0, 8.0]
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in failures)
    assert polled and "getMe" in [m for m, _ in api.calls]
    assert "SECRET-TOKEN" not in caplog.text


def test_a_rejected_token_is_one_line_without_the_token_and_exit_2(tmp_path, monkeypatch, capsys, caplog):
    api = FakeBotAPI()
    api.token_rejected = True
    monkeypatch.setattr("bot.adapters.telegram.serving.default_request", lambda: api)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRET-REAL-TOKEN")
    monkeypatch.delenv("SHUXI_COORDINATORS", raising=False)
    assert main(["--db", str(tmp_path / "x.db"), "serve"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "rejected the bot token" in err
    assert "SECRET-REAL-TOKEN" not in err + caplog.text
    assert [m for m, _, code in api.refused] == ["getMe"]


def test_serve_usage_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TOKEN")
    db = str(tmp_path / "x.db")
    assert main(["--db", db, "serve", "--webhook-url", "http://bot.example.org/x", "--port", "8443"]) == 2
    assert main(["--db", db, "serve", "--port", "8443"]) == 2
    assert "https" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_checks_the_secret_token_and_handles_updates(dialog):
    api = FakeBotAPI()
    port = free_port()
    webhook = Webhook("https://bot.example.org/shuxi", port, secret="s3cret_token-1")
    outcome: dict = {}

    def post(secret: str | None) -> int:
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": CHAT, "from": USER,
                                              "text": "小额信贷逾期率要求多少"}}
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(f"http://127.0.0.1:{port}/shuxi", json.dumps(update).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def client():
        try:
            for _ in range(200):   # until the server listens
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            outcome["no secret"] = post(None)
            outcome["wrong secret"] = post("guess")
            outcome["right secret"] = post("s3cret_token-1")
            for _ in range(100):
                if any(m == "sendMessage" for m, _ in api.calls):
                    break
                time.sleep(0.05)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=client)
    thread.start()
    serve("123456:TOKEN", dialog, request=api, webhook=webhook)
    thread.join()
    [hook] = [p for m, p in api.calls if m == "setWebhook"]
    assert hook["url"] == "https://bot.example.org/shuxi" and hook["secret_token"] == "s3cret_token-1"
    assert outcome == {"no secret": 403, "wrong secret": 403, "right secret": 200}
    sent = [p for m, p in api.calls if m == "sendMessage"]
    assert len(sent) == 1 and "0.5%" in sent[0]["text"]


# --- throughput: order per person, people at once, reminders alongside ------------------------------------------

def test_one_persons_rapid_messages_are_answered_in_the_order_sent(dialog):
    # Earlier calls take longer: without per-person order the later questions' answers would overtake.
    delays = iter([0.25, 0.2, 0.15, 0.1, 0.05] + [0.0] * 100)
    api = FakeBotAPI(delay=lambda method, params: next(delays) if method == "sendMessage" else 0.0)
    tg = Harness(dialog, api=api)
    questions = ["小额信贷逾期率要求多少", "两后生是什么", "村党组书记要熟悉什么", "样本户怎么抽", "逾期率"]
    tg.feed(*({"message": tg.message(q)} for q in questions))
    sent = tg.api.sent()
    tg.close()
    asked = [p["text"] for p in sent]
    assert len(asked) == 5
    assert "0.5%" in asked[0] and "0.5%" in asked[4] and "0.5%" not in asked[1]
    logged = [row["text"] for row in dialog.store.db["asked_questions"].rows]
    assert logged == questions


def test_different_peoples_updates_are_processed_at_once(dialog):
    tg = Harness(dialog, api=FakeBotAPI(rtt_s=0.2))
    people = [{"id": 5000 + i, "is_bot": False, "first_name": f"干部{i}"} for i in range(20)]
    started = time.monotonic()
    tg.feed(*({"message": tg.message("逾期率", user=u, chat={"id": u["id"], "type": "private"})} for u in people))
    elapsed = time.monotonic() - started
    assert len(tg.api.sent()) == 20
    tg.close()
    assert elapsed < 1.0, f"20 replies at 0.2 s each took {elapsed:.2f} s: they were not sent concurrently"


def test_reminders_go_out_while_conversations_continue(tg):
    items = [Outgoing(7000 + i, f"提醒{i}") for i in range(20)]

    async def scenario():
        run = asyncio.create_task(send_many(tg.app.bot, items, interval_s=0.05))
        await asyncio.sleep(0.2)
        await tg.app.update_queue.put(tg.update({"message": tg.message("小额信贷逾期率要求多少")}))
        await tg.app.update_queue.join()
        replied = time.perf_counter()
        summary = await run
        return replied, summary

    replied, summary = tg.run(scenario())
    assert len(summary.sent) == 20
    reminder_times = [t for t, m, chat in tg.api.times if m == "sendMessage" and chat >= 7000]
    assert reminder_times[0] < replied < reminder_times[-1], "the reply did not wait for the reminder run"
