"""The dialog, driven through plain text as a person would type it."""

import pytest

from bot.dialog import Dialog
from bot.kernel.store import Store

from .conftest import Chat


def register(chat: Chat, name="王小明", role="村党组织书记", town="嘉积镇", village="椰林村"):
    chat.say("/start")
    chat.say(name)
    chat.press(role)
    chat.say(town)
    return chat.say(village)


def test_registration_stores_name_role_town_village(chat, store):
    assert "姓名" in chat.say("/start")[0].text
    replies = chat.say("王小明")
    assert len(chat.buttons()) == 10 and "选择您的角色" in replies[0].text
    chat.press("帮扶联系人")
    chat.say("嘉积镇")
    assert "登记完成：王小明，帮扶联系人，嘉积镇 椰林村" in chat.say("椰林村")[0].text
    person = store.person("cli:tester")
    assert (person.name, person.role, person.town, person.village, person.registered) == (
        "王小明", "household_contact", "嘉积镇", "椰林村", True)


def test_registration_refuses_empty_and_overlong_fields(chat):
    chat.say("/start")
    assert "姓名" in chat.say("？？")[0].text
    assert "30个字以内" in chat.say("名" * 31)[0].text
    for empty in ("<b></b>", "👍", "<i> </i>"):   # markup or emoji alone is no name
        assert "请用文字输入姓名" in chat.say(empty)[0].text
    assert "<b>李&明，您好" in chat.say("<b>李&明")[0].text   # kept as typed (every channel escapes it)
    chat.say("/start")
    chat.say("李四")
    assert "请点下面的按钮选择角色" in chat.say("不知道")[0].text


def test_a_question_gets_the_answer_with_its_source(chat, store):
    reply = chat.say("小额信贷逾期率要求多少")[0]
    assert "0.5%" in reply.text and "来源：《琼海市迎接2021年省巩固脱贫成果后评估实施方案》" in reply.text
    logged = list(store.db["asked_questions"].rows)
    assert logged[-1]["text"] == "小额信贷逾期率要求多少" and logged[-1]["best_id"] and not logged[-1]["abstained"]


def test_out_of_scope_question_is_not_answered(chat, store):
    reply = chat.say("今天海口天气怎么样")[0]
    assert "没有找到" in reply.text
    assert store.db["asked_questions"].count == 1
    assert list(store.db["asked_questions"].rows)[0]["abstained"] == 1


@pytest.mark.parametrize("text", ["你好", "谢谢", "好的"])
def test_greetings_and_thanks_get_a_short_reply(chat, text):
    reply = chat.say(text)[0]
    assert "来源" not in reply.text and len(reply.text) < 120


@pytest.mark.parametrize("text", ["", "   ", "？？", "😀", "\x00\x07", "🙏🙏🙏"])
def test_empty_or_symbol_only_messages_get_a_friendly_reply(chat, text):
    reply = chat.say(text)[0]
    assert "请" in reply.text and "来源" not in reply.text


def test_a_huge_message_gets_a_friendly_reply(chat):
    reply = chat.say("监测" * 5000)[0]
    assert "太长" in reply.text


def test_quiz_runs_to_a_score_and_logs_each_answer_when_given(chat, store, kb):
    replies = chat.say("/quiz 3")
    assert "共 3 题" in replies[0].text and "第 1/3 题" in replies[1].text
    for n in range(3):
        session = store.open_session(store.person("cli:tester").id)
        question = kb.questions[[q.id for q in kb.questions].index(session.question_ids[n])]
        chat.press(question.answer)  # the right option, found by its label
        assert "回答正确" in chat.last[0].text and question.explanation in chat.last[0].text
        assert store.db["quiz_answers"].count == n + 1  # written at once, not at the end
    assert "练习结束：答对 3/3 题" in chat.last[-1].text
    me = chat.say("/me")[0].text
    assert "已答 3 题，答对 3 题，正确率 100%" in me


def test_wrong_answer_shows_the_right_one_and_me_lists_weak_indicators(chat, store, kb):
    chat.say("/quiz 1")
    session = store.open_session(store.person("cli:tester").id)
    question = next(q for q in kb.questions if q.id == session.question_ids[0])
    wrong = next(b for b in chat.buttons() if not b.label.endswith(question.answer))
    chat.press_data(wrong.data)
    assert f"正确答案：{question.answer}" in chat.last[0].text
    me = chat.say("/me")[0].text
    assert "正确率 0%" in me and "最需要加强的指标" in me


def test_double_tap_records_one_answer_and_stale_buttons_get_a_clear_reply(chat, store):
    chat.say("/quiz 2")
    first = chat.buttons()[0].data
    chat.press_data(first)
    again = chat.press_data(first)
    assert "已经答过" in again[0].text
    assert store.db["quiz_answers"].count == 1
    chat.say("/cancel")
    assert "已经结束" in chat.press_data(first.replace(":0:", ":1:"))[0].text
    assert "失效" in chat.press_data("q:x")[0].text
    assert "不是您当前的练习" in chat.press_data("q:999:0:0")[0].text


def right_answer(dialog, session) -> str:
    """What a person who knows the answer would type for the session's current question."""
    question = dialog.quiz.question(session.question_ids[session.position])
    options = dialog.quiz.options(session, question)
    if question.type.value == "multiple":
        return "".join("ABCDEFGH"[options.index(a)] for a in question.answer)
    return question.answer_text


def test_quiz_survives_a_restart(kb, tmp_path):
    path = tmp_path / "shuxi.db"
    first = Chat(Dialog(kb, Store(path)))
    first.say("/quiz 2")
    restarted = Chat(Dialog(kb, Store(path)))   # a new process over the same database
    session = restarted.dialog.store.open_session(restarted.dialog.store.person("cli:tester").id)
    replies = restarted.say(right_answer(restarted.dialog, session))
    assert "回答正确" in replies[0].text and "第 2/2 题" in replies[1].text


def test_cancel_without_anything_running(chat):
    assert "没有进行中" in chat.say("/cancel")[0].text


def test_unknown_command_and_bad_quiz_count(chat):
    assert "/quiz" in chat.say("/whatever")[0].text
    assert "1 到 20" in chat.say("/quiz 500")[0].text
    assert "共 3 题" in chat.say("/quiz ３")[0].text  # full-width digit


def test_suggestion_button_shows_that_entry(chat, kb):
    entry = kb.by_id["work.finance.4"]
    reply = chat.press_data(f"kb:{entry.id}")[0]
    assert reply.title == entry.title and entry.answer in reply.text


def test_quiz_answered_by_typing_a_letter_or_the_option(chat, store, kb):
    chat.say("/quiz 2")
    session = store.open_session(store.person("cli:tester").id)
    question = next(q for q in kb.questions if q.id == session.question_ids[0])
    options = chat.dialog.quiz.options(session, question)
    typed = "abcd"[options.index(question.answer)] if len(options) > 2 else question.answer
    assert "回答正确" in chat.say(typed)[0].text
    assert store.db["quiz_answers"].count == 1


def test_registration_asks_again_for_an_ambiguous_role_or_a_question_as_name(chat):
    chat.say("/start")
    replies = chat.say("小额信贷逾期率要求多少")   # answered, and registration resumes
    assert "0.5%" in replies[0].text and "请继续登记：请输入您的姓名" in replies[-1].text
    chat.say("李四")
    assert "请点下面的按钮" in chat.say("村")[0].text          # one character names no single role
    assert "请输入您所在的镇" in chat.say("帮扶联系人")[0].text


def test_undecodable_and_zero_width_input_is_cleaned(chat, store):
    reply = chat.say("\udcff逾\u200b期率")[0]
    assert "0.5%" in reply.text
    assert list(store.db["asked_questions"].rows)[-1]["text"] == "?逾期率"  # the undecodable byte as ?


def test_a_question_about_ones_own_village_points_to_the_village_card(chat):
    """The plan gives no village's own figures: a cadre asking for them is sent to /village, not left at "没有找到"."""
    replies = chat.say("我们村有多少户")
    assert any("/village" in r.text for r in replies)
    assert not any("/village" in r.text for r in chat.say("小额信贷逾期率要求多少"))
