"""Drive the real python-telegram-bot Application offline and check what would be sent to Telegram."""

from __future__ import annotations

import html

import pytest
from telegram import Update

from bot.adapters.telegram import split_message, to_html
from bot.kernel.messages import Reply

from .telegram_harness import CHAT, USER, Harness, buttons


@pytest.fixture
def tg(dialog):
    harness = Harness(dialog)
    yield harness
    harness.close()


def test_start_question_and_quiz_by_button(tg):
    sent = tg.send("/start")
    assert "请输入您的姓名" in sent[0]["text"] and sent[0]["parse_mode"] == "HTML"

    sent = tg.send("<b>李&明")
    assert "&lt;b&gt;李&amp;明" in sent[0]["text"] and "<b>李" not in sent[0]["text"]
    roles = buttons(sent)
    assert {"text": "村党组织书记", "callback_data": "role:village_secretary"} in roles
    sent = tg.press("role:village_secretary")
    assert "请输入您所在的镇" in sent[0]["text"]
    tg.send("嘉积镇")
    sent = tg.send("椰林村")
    assert "登记完成" in sent[0]["text"]

    sent = tg.send("小额信贷逾期率要求多少")
    assert sent[0]["text"].startswith("<b>") and "0.5%" in sent[0]["text"] and "来源" in sent[0]["text"]

    sent = tg.send("/quiz 2")
    assert "共 2 题" in sent[0]["text"]
    options = buttons(sent)
    assert len(options) >= 2
    assert all(len(b["callback_data"].encode()) <= 64 and b["callback_data"].isascii() for b in options)
    tg.api.calls.clear()
    sent = tg.press(options[0]["callback_data"])
    # Two Bot API calls: the press is acknowledged, and one message shows the verdict and the next question.
    assert [m for m, _ in tg.api.calls] == ["answerCallbackQuery"] and len(sent) == 1
    assert "回答正确" in sent[0]["text"] or "回答错误" in sent[0]["text"]
    assert "第 2/2 题" in sent[0]["text"]
    second = buttons(sent)
    sent = tg.press(second[-1]["callback_data"])
    assert "练习结束" in sent[-1]["text"]

    # A press on a finished quiz gets a clear answer, not silence.
    sent = tg.press(options[0]["callback_data"])
    assert "已经结束" in sent[0]["text"] or "已经答过" in sent[0]["text"]


def test_user_text_is_escaped_and_bad_input_gets_a_reply(tg):
    for text in ["<script>alert(1)</script>", "😀", "？？", "a" * 10000]:
        sent = tg.send(text)
        assert sent, f"no reply to {text[:20]!r}"
        assert "<script>" not in sent[0]["text"]
        assert all(len(p["text"]) <= 4096 for p in sent)


def test_unknown_command_gets_help(tg):
    sent = tg.send("/frobnicate")
    assert "/quiz" in sent[0]["text"]


def test_long_replies_are_split_at_line_breaks():
    reply = Reply("\n".join(f"第{i}行 <b>李&明</b> " + "字" * 50 for i in range(300)), title="标题")
    chunks = split_message(to_html(reply))
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == to_html(reply)
    assert all(not c.startswith("\n") for c in chunks)
    assert html.unescape("".join(chunks)).count("<b>李&明</b>") == 300


def test_one_huge_line_is_cut_without_breaking_an_entity():
    text = html.escape("&" * 5000, quote=False)
    chunks = split_message(text)
    assert all(len(c) <= 4096 for c in chunks) and "".join(chunks) == text
    assert all(c.endswith(";") for c in chunks)


class BrokenDialog:
    def handle(self, msg):
        raise RuntimeError("boom")


def test_error_handler_reports_and_the_bot_keeps_going(dialog):
    tg = Harness(BrokenDialog())
    sent = tg.send("逾期率")
    assert "出错了" in sent[0]["text"]
    tg.app.bot_data["dialog"] = dialog
    assert "0.5%" in tg.send("逾期率")[0]["text"]
    tg.close()


def test_quiz_polls_answered_through_poll_answer(tg, dialog, kb):
    assert "已改为用答题投票" in tg.send("/polls on")[0]["text"]
    tg.send("/quiz 3")
    polls = tg.api.sent("sendPoll")
    store = dialog.store
    session = store.open_session(store.person(f"tg:{USER['id']}").id)
    question = dialog.quiz.question(session.question_ids[0])
    assert question.type.value in ("single", "truefalse")   # the seeded bank starts with a choice question
    assert len(polls) == 1
    poll = polls[0]
    assert poll["type"] == "quiz" and poll["is_anonymous"] is False
    options = [o if isinstance(o, str) else o["text"] for o in poll["options"]]
    assert options[poll["correct_option_ids"][0]] == question.answer
    tg.feed({"poll_answer": {"poll_id": "poll" + str(tg.api._message_id), "user": USER,
                             "option_ids": [poll["correct_option_ids"][0]], "option_persistent_ids": ["o1"]}})
    sent = tg.api.sent()
    assert "回答正确" in sent[0]["text"] and sent[0]["chat_id"] == USER["id"]
    assert store.db["quiz_answers"].count == 1


def test_unknown_poll_answer_gets_a_clear_reply(tg):
    tg.feed({"poll_answer": {"poll_id": "nope", "user": USER, "option_ids": [0], "option_persistent_ids": ["o1"]}})
    assert "失效" in tg.api.sent()[0]["text"]


def test_every_choice_question_is_checked_against_poll_limits(dialog):
    from bot.adapters.telegram import poll_fits
    from bot.kernel.messages import Poll

    fits = too_big = 0
    for q in dialog.quiz.bank.values():
        if q.type.value not in ("single", "truefalse"):
            continue
        poll = Poll(f"第 1/10 题：{q.question}", q.choices, q.choices.index(q.answer), q.explanation, "q:1:0:")
        if poll_fits(poll):
            fits += 1
        else:
            too_big += 1
            assert len(poll.question) > 300 or len(poll.explanation) > 200 or max(map(len, poll.options)) > 100 \
                or poll.explanation.count("\n") > 2
    assert fits > 0.8 * (fits + too_big)   # most fit; the rest fall back to buttons


def test_a_question_too_long_for_a_poll_falls_back_to_buttons(tg):
    from bot.adapters.telegram import send_replies
    from bot.kernel.messages import Button, Poll

    long_poll = Poll("问" * 400, ["正确", "错误"], 0, "说明", "q:1:0:")
    reply = Reply("问" * 400, buttons=[[Button("正确", "q:1:0:0")], [Button("错误", "q:1:0:1")]], poll=long_poll)
    update = Update.de_json({"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": CHAT, "from": USER,
                                                           "text": "x"}}, tg.app.bot)

    class Ctx:
        bot = tg.app.bot
        application = tg.app

    tg.run(send_replies(update, Ctx(), [reply]))
    assert not tg.api.sent("sendPoll") and buttons(tg.api.sent())
