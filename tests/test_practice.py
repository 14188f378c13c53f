"""Practice by role: curricula, spaced repetition with fsrs, fill-in and multiple choice, mock interviews."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from bot.kernel.models import KeyPoint, QuestionType, QuizQuestion
from bot.kernel.roles import Role
from bot.practice.generate import questions_from_facts
from bot.practice.grading import fillin_correct, grade_interview, point_covered

from .test_dialog import register, right_answer


def fillin(answer, accept=()):
    return QuizQuestion(id="q.t", type=QuestionType.fillin, question="逾期率低于____", answer=answer,
                        accept=list(accept), explanation="x", entry="work.finance.4")


@pytest.mark.parametrize("typed, ok", [("0.5%", True), ("0.5 %", True), ("０．５％", True), ("百分之零点五", True),
                                       ("0.5", True), ("5%", False), ("0.05%", False), ("", False), ("不知道", False)])
def test_fillin_accepts_equivalent_forms_of_a_number(typed, ok):
    assert fillin_correct(fillin("0.5%"), typed) is ok


@pytest.mark.parametrize("typed, ok", [("10月28日", True), ("10月28号", True), ("１０月２８日", True), ("10月29日", False)])
def test_fillin_accepts_equivalent_forms_of_a_date(typed, ok):
    assert fillin_correct(fillin("10月28日"), typed) is ok


def test_key_points_match_wording_alternatives_and_sound():
    point = KeyPoint(point="逾期率低于0.5%", accept=["逾期率不超过百分之零点五"])
    assert point_covered(point, "我们村小额信贷逾期率低于0.5%，没有户贷企用")
    assert point_covered(point, "逾期率不超过百分之零点五")
    assert point_covered(KeyPoint(point="防止返贫动态监测"), "我们做好防止返贫动态检测")   # 检测: a homophone slip
    assert not point_covered(point, "逾期率低于5%")


def test_every_fact_gets_generated_questions(kb):
    generated = questions_from_facts(kb)
    facts = {(e.id, f.text) for e in kb.entries for f in e.facts}
    covered = {(q.entry, q.answer) for q in generated if q.type is QuestionType.fillin}
    assert len(covered) >= 0.9 * len(facts)
    for q in generated:
        if q.type is QuestionType.single:
            assert q.answer in q.options and len(set(q.options)) == len(q.options) >= 3
            assert "____" in q.question and q.answer not in q.question


def test_curricula_differ_by_role(dialog):
    secretary = set(dialog.curriculum.questions(Role.village_secretary))
    contact = set(dialog.curriculum.questions(Role.household_contact))
    assert secretary and contact and secretary != contact


def test_practice_draws_from_the_role_curriculum_and_schedules_with_fsrs(chat, store, dialog):
    register(chat, role="帮扶联系人")
    person = store.person("cli:tester")
    mine = set(dialog.curriculum.questions(Role.household_contact))
    replies = chat.say("/practice")
    assert "帮扶联系人必须掌握的内容" in replies[0].text
    session = store.open_session(person.id)
    assert session.mode == "practice" and set(session.question_ids) <= mine
    first = session.question_ids[0]
    chat.say(right_answer(dialog, session))
    card = dialog.practice.cards(person.id)[first]
    assert card["reps"] == 1 and card["lapses"] == 0 and card["due"] > datetime.now(timezone.utc).isoformat()
    # a wrong answer is rated Again: a lapse, due again soon
    session = store.open_session(person.id)
    second = session.question_ids[1]
    assert dialog.practice.review(person.id, second, False, 3.0) is Rating.Again
    assert dialog.practice.cards(person.id)[second]["lapses"] == 1
    assert dialog.practice.review(person.id, second, True, 90.0) is Rating.Hard   # right but slow


def test_due_cards_come_first(chat, store, dialog):
    register(chat, role="村党组织书记")
    person = store.person("cli:tester")
    qid = dialog.curriculum.questions(Role.village_secretary)[0]
    dialog.practice.review(person.id, qid, False, 1.0)
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert dialog.practice.pick(person, 5, now=later)[0] == qid


def test_a_round_keeps_half_for_new_questions_while_reviews_are_due(chat, store, dialog):
    # The visit is a deadline: 20 cards due must not crowd out the rest of the curriculum.
    register(chat, role="村党组织书记")
    person = store.person("cli:tester")
    mine = dialog.curriculum.questions(Role.village_secretary)
    for qid in mine[:20]:
        dialog.practice.review(person.id, qid, True, 3.0)
    later = datetime.now(timezone.utc) + timedelta(days=3)
    cards = dialog.practice.cards(person.id)
    assert sum(c["due"] <= later.isoformat() for c in cards.values()) == 20
    picked = dialog.practice.pick(person, now=later)
    new = [q for q in picked if q not in cards]
    assert len(picked) == 10 and len(new) == 5
    assert dialog.practice.revisits(person.id, picked, now=later) == 5
    # with nothing new left, a round is all reviews
    for qid in mine[20:]:
        store.db["cards"].insert({"person_id": person.id, "question_id": qid, "card": cards[mine[0]]["card"],
                                  "due": "9999", "reps": 1, "lapses": 0, "updated_at": "x"})
    assert all(q in mine[:20] for q in dialog.practice.pick(person, now=later))


def test_multiple_choice_by_toggles_and_by_letters(chat, store, dialog, kb):
    question = next(q for q in kb.questions if q.type is QuestionType.multiple)
    person = store.person("cli:tester")
    session = store.start_session(person.id, [question.id])
    options = dialog.quiz.options(session, question)
    for a in question.answer:
        chat.press_data(f"m:{session.id}:0:{options.index(a)}")
    assert sum("✅" in b.label for b in chat.buttons()) == len(question.answer)
    chat.press_data(f"m:{session.id}:0:99")
    assert "回答正确" in chat.last[0].text
    session = store.start_session(person.id, [question.id])
    options = dialog.quiz.options(session, question)
    wrong = "".join("ABCDEFGH"[i] for i, o in enumerate(options) if o not in question.answer)[:2]
    assert "回答错误" in chat.say(wrong.lower())[0].text


def test_mock_interview_grades_key_points_and_lists_what_was_missed(chat, store, dialog, kb):
    assert "先发送 /start" in chat.say("/interview")[0].text
    register(chat, role="村党组织书记")
    replies = chat.say("/interview")
    assert "评估组问：" in replies[1].text
    person = store.person("cli:tester")
    session = store.open_session(person.id)
    assert session.mode == "interview" and 5 <= len(session.question_ids) <= 8
    assert all(Role.village_secretary in dialog.interviewer.by_id[q].roles for q in session.question_ids)
    first = dialog.interviewer.by_id[session.question_ids[0]]
    half = first.key_points[0].point
    reply = chat.say(f"我说一下：{half}。")[0].text
    assert f"✅ {half}" in reply
    for p in first.key_points[1:]:
        assert f"❌ 漏了：{p.point}" in reply
    if len(first.key_points) > 1:
        assert "参考答案" in reply
    for qid in session.question_ids[1:]:
        q = dialog.interviewer.by_id[qid]
        chat.say("；".join(p.point for p in q.key_points))
    assert "模拟访谈结束" in chat.last[-1].text
    row = next(store.db["mock_interviews"].rows)
    assert row["person_id"] == person.id and 50 < row["score"] <= 100
    assert store.db["interview_points"].count == sum(len(dialog.interviewer.by_id[q].key_points)
                                                     for q in session.question_ids)


def test_an_interview_answer_with_nothing_to_grade_keeps_the_question(chat, store, dialog):
    register(chat, role="村党组织书记")
    chat.say("/interview")
    person = store.person("cli:tester")
    session = store.open_session(person.id)
    for nothing in ("👍👍", "<script>alert(1)</script>", "？？"):
        replies = chat.say(nothing)
        assert "没看到文字内容" in replies[0].text and "评估组问：" in replies[1].text
    assert store.open_session(person.id).position == session.position == 0
    assert store.db["interview_points"].count == 0


def test_a_new_practice_says_an_unfinished_interview_is_not_scored(chat, store):
    register(chat, role="村党组织书记")
    chat.say("/interview")
    assert "模拟访谈没有答完，已结束，不计分" in chat.say("/practice")[0].text
    assert "上一组练习已结束" in chat.say("/practice")[0].text


def test_the_end_of_an_interview_names_the_rules_mark(chat, store, dialog):
    register(chat, role="村党组织书记")
    chat.say("/interview")
    session = store.open_session(store.person("cli:tester").id)
    for qid in session.question_ids:
        chat.say("；".join(p.point for p in dialog.interviewer.by_id[qid].key_points))
    assert "准备好的要求" not in chat.last[-1].text   # no rule installed: no mark claimed
    dialog.practicing.interview_mark = lambda: 85.0
    chat.say("/interview")
    session = store.open_session(store.person("cli:tester").id)
    for qid in session.question_ids:
        chat.say("；".join(p.point for p in dialog.interviewer.by_id[qid].key_points))
    assert "平均 ≥ 85 分" in chat.last[-1].text and "80分以上" not in chat.last[-1].text


def test_interview_grade_is_by_share_of_points(kb):
    q = kb.interview[0]
    assert grade_interview(q, "").score == 0
    assert grade_interview(q, "；".join(p.point for p in q.key_points)).score == 100


def test_finished_practice_button_gets_a_clear_reply(chat, store, dialog):
    chat.say("/practice")
    session = store.open_session(store.person("cli:tester").id)
    chat.say("/cancel")
    assert "/practice" in chat.press_data(f"q:{session.id}:0:0")[0].text


class OneVillage:
    """A per-person question source: one question, for people of 椰林村 only."""

    question_ = QuizQuestion(id="v.yelin.households", type=QuestionType.fillin, question="椰林村有多少户？",
                             answer="320户", explanation="村情台账：320户。", entry="village.yelin")

    def questions_for(self, person):
        return [self.question_] if person.village == "椰林村" else []

    def interview_for(self, person):
        return []

    def question(self, question_id, person=None):
        mine = person is None or person.village == "椰林村"
        return self.question_ if question_id == self.question_.id and mine else None

    def source_line(self, question_id, person=None):
        return "来源：椰林村村情表（导入）" if self.question(question_id, person) else None


def test_per_person_questions_reach_only_their_people(kb, store, dialog):
    from .conftest import Chat

    dialog.add_question_source(OneVillage())
    mine, other = Chat(dialog, "cli:yelin"), Chat(dialog, "cli:other")
    register(mine, village="椰林村")
    register(other, village="石头村")
    assert "v.yelin.households" not in dialog.practice.pick(store.person("cli:other"), 500)
    picked = dialog.practice.pick(store.person("cli:yelin"), 500)
    assert "v.yelin.households" in picked
    session = store.start_session(store.person("cli:yelin").id, ["v.yelin.households"], mode="practice")
    assert "椰林村有多少户" in dialog.practicing.ask(session).text
    reply = mine.say("320")[0].text
    assert "回答正确" in reply and "来源：椰林村村情表（导入）" in reply


@pytest.mark.parametrize("answer, typed, ok", [
    ("分值50分", "50分", True), ("分值50分", "50", True), ("10月28日", "2021年10月28日", True),
    ("0.5%", "0.50%", True), ("30种", "三十", True), ("250分", "二百五十", True), ("90%以上", "90%", True),
    ("低于0.5%", "超过0.5%", False), ("低于0.5%", "不低于0.5%", False), ("90%以上", "90%以下", False),
    ("王秀珍", "王", False), ("每月研究或部署推进", "每", False), ("10月28日", "10月29日", False),
])
def test_fillin_figures_directions_and_names(answer, typed, ok):
    assert fillin_correct(fillin(answer), typed) is ok


def test_a_figure_typed_on_figure_options_is_that_figure(chat, store, dialog):
    def lead(text):
        return re.match(r"\d+(?:\.\d+)?", text).group()

    question = next(q for q in dialog.quiz.bank.values() if q.type is QuestionType.single
                    and all(o[0].isdigit() for o in q.options) and len({lead(o) for o in q.options}) == len(q.options)
                    and int(float(lead(q.answer))) > len(q.options))   # not also an option number
    store.start_session(store.person("cli:tester").id, [question.id])
    figure = lead(question.answer)
    assert "回答正确" in chat.say(figure)[0].text


def test_a_question_typed_during_a_fill_in_is_answered_not_scored(chat, store, dialog):
    question = next(q for q in dialog.quiz.bank.values() if q.type is QuestionType.fillin
                    and any(c.isdigit() for c in q.answer_text))
    store.start_session(store.person("cli:tester").id, [question.id])
    replies = chat.say("小额信贷逾期率要求多少？")
    assert "0.5%" in replies[0].text and "填空" in replies[-1].text
    assert store.db["quiz_answers"].count == 0


def test_a_slip_is_not_sent_to_the_knowledge_base(chat, store, dialog):
    question = next(q for q in dialog.quiz.bank.values() if q.type is QuestionType.single and len(q.options) == 4)
    store.start_session(store.person("cli:tester").id, [question.id])
    assert "没有这个选项" in chat.say("7")[0].text
    assert store.db["asked_questions"].count == 0 and store.db["quiz_answers"].count == 0


def test_practice_during_an_unfinished_registration_abandons_it(chat, store):
    chat.say("/start")
    chat.say("王小明")
    replies = chat.say("/practice")
    assert "登记没有完成，已退出" in replies[0].text
    assert store.get_state(store.person("cli:tester").id) == {}


def test_roles_by_the_words_cadres_use(chat, store):
    chat.say("/start")
    chat.say("王小明")
    assert "请输入您所在的镇" in chat.say("村支书")[0].text
    assert store.get_state(store.person("cli:tester").id)["role"] == "village_secretary"


def test_reciting_everything_is_not_a_full_score(kb):
    q = kb.interview[0]
    full = "；".join(p.point for p in q.key_points)
    assert grade_interview(q, full).score == 100 and not grade_interview(q, full).too_long
    pasted = full + "。" + "；".join(p.point for other in kb.interview for p in other.key_points)
    grade = grade_interview(q, pasted)
    assert grade.too_long and grade.score == 60


def test_typing_the_right_option_text_is_right_for_every_question(kb, store):
    """A person who types the right option's text (full-width ，as the keyboard gives it) is marked right, for every
    question of the bank — the option's text and the typed text are compared in one form."""
    from bot.dialog import Dialog
    from bot.kernel.messages import Incoming

    dialog = Dialog(kb, store)
    person = store.person("cli:typist")
    wrong = []
    for qid, question in dialog.quiz.bank.items():
        store.start_session(person.id, [qid, qid])
        session = store.open_session(person.id)
        options = dialog.quiz.options(session, question)
        typed = ("".join("ABCDEFGH"[options.index(a)] for a in question.answer)
                 if question.type.value == "multiple" else question.answer_text)
        if "回答正确" not in dialog.handle(Incoming("cli:typist", text=typed))[0].text:
            wrong.append(qid)
        store.cancel_session(session.id)
    assert len(dialog.quiz.bank) > 400 and wrong == []


@pytest.mark.parametrize("typed, options, index", [
    ("五十分", ["30分", "50分", "80分", "100分"], 1), ("三户", ["1户", "3户", "5户"], 1), ("对的", ["正确", "错误"], 0),
    ("不对", ["正确", "错误"], 1), ("一千二百元", ["1200元", "1500元"], 0)])
def test_options_typed_in_spoken_numbers_or_everyday_words(typed, options, index):
    from bot.practice.quiz import _letters

    assert _letters(typed, options, several=False) == [index]


def test_a_cancelled_mock_interview_says_it_is_not_scored(chat, store):
    register(chat, role="村党组织书记")
    chat.say("/interview")
    chat.say("我们村建了乡村振兴中队，每户都安排了帮扶联系人。")
    text = chat.say("/cancel")[0].text
    assert "已作答 1 题，都已记录" in text and "没有答完的模拟访谈不计分" in text
    assert store.db["mock_interviews"].count == 0
