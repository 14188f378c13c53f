"""Answers as cadres type questions: typos by sound, full-width digits, number words, one word, colloquial
filler; and honest abstention. Wording here is our own, not the evaluation sets'."""

import pytest

from bot.kernel.text import normalise
from bot.qa.answers import Answerer
from bot.qa.matcher import Matcher, Verdict


@pytest.fixture(scope="module")
def answerer(kb):
    return Answerer(kb)


def first_text(answerer, question):
    match = answerer.match(question)
    assert not match.abstained, f"abstained on {question!r}"
    return answerer.entry_text(match.best.entry)


@pytest.mark.parametrize("typed, fact", [
    ("贷款逾期率上限", "0.5%"),                 # plain
    ("小额信代的逾期率", "0.5%"),               # 信代 → 信贷 by sound
    ("检测户产业收入奖励多少钱", "1000元"),     # 检测 → 监测 by sound
    ("危房该造任务进度", "90%"),                # 该造 → 改造
    ("引水安全季节性断水", "季节性缺水断水"),   # 引水 → 饮水
    ("防频综合保险", "防贫综合保险"),           # 防频 → 防贫
])
def test_homophone_typos_match_by_sound(answerer, typed, fact):
    assert fact in first_text(answerer, typed)


@pytest.mark.parametrize("typed, fact", [
    ("截至１０月１５日支出进度", "75%"),
    ("截至10月15号项目开工率", "85%"),
    ("逾期率不能超过百分之零点五吧", "0.5%"),
    ("三十种大病救治", "30种大病"),
])
def test_full_width_and_number_words(answerer, typed, fact):
    assert fact in first_text(answerer, typed)


@pytest.mark.parametrize("typed, fact", [
    ("两后生", "职业教育"),
    ("户贷企用", "户贷企用"),
    ("样本户", "150户"),
    ("收入确认表", "10月28日"),
    ("单人纳保", "单人纳保"),
])
def test_one_word_queries(answerer, typed, fact):
    assert fact in first_text(answerer, typed)


def test_colloquial_question_with_filler(answerer):
    assert "村党组书记" in first_text(answerer, "俺是村支书，评估组来了会问我啥子哦")


@pytest.mark.parametrize("typed", ["明天去三亚的机票多少钱", "帮我查一下社保卡余额", "怎么做红烧肉", "世界杯谁夺冠了",
                                   "手机没信号怎么办"])
def test_out_of_scope_questions_abstain(answerer, typed):
    assert answerer.match(typed).verdict is Verdict.abstain


@pytest.mark.parametrize("typed, verdict", [("您好", Verdict.greeting), ("谢谢！", Verdict.thanks),
                                            ("😀😀", Verdict.empty), ("。。。", Verdict.empty),
                                            ("的了吗呢", Verdict.abstain), ("", Verdict.empty)])
def test_non_questions_never_match_an_entry(answerer, typed, verdict):
    match = answerer.match(typed)
    assert match.verdict is verdict and match.abstained


def test_abstention_reply_explains_how_to_ask(answerer):
    reply = answerer.reply(answerer.match("明天去三亚的机票多少钱"))
    assert "没有找到" in reply.text and "比如" in reply.text


def test_json_shape(answerer):
    obj = answerer.as_json(answerer.match("逾期率"))
    assert obj["abstained"] is False and obj["answers"][0]["id"] == "work.finance.4"
    assert all(len(a["text"]) <= 800 for a in obj["answers"])


@pytest.mark.parametrize("typed, form", [("百分之五十", "50%"), ("１０月１５日", "10月15日"), ("10月28号", "10月28日"),
                                         ("０．５％", "0.5%"), ("0.5 %", "0.5%"), ("一般农户", "一般农户"),
                                         ("统一开展", "统一开展")])
def test_normalise(typed, form):
    assert normalise(typed) == form


@pytest.mark.parametrize("typed", ["危房改造每户补助多少钱", "小额信贷利率是多少", "帮扶联系人每个月入户几次"])
def test_asking_for_a_figure_the_plan_does_not_give_is_not_answered(answerer, typed):
    match = answerer.match(typed)
    assert match.verdict is Verdict.no_figure and match.abstained
    reply = answerer.reply(match)
    assert "没有规定" in reply.text and reply.buttons  # related entries offered, not asserted as the answer


@pytest.mark.parametrize("typed, fact", [
    ("产业奖补谁牵头", "农业农村局"),
    ("就业奖补哪个部门牵头", "人社局"),
    ("收入确认表什么时候贴", "10月28日"),
])
def test_intent_prefers_the_entry_holding_the_lead_or_date(answerer, typed, fact):
    assert fact in first_text(answerer, typed)


def test_close_candidates_come_with_suggestion_buttons(answerer, kb):
    # Two entries equally good for the question: the answer comes with the runner-up offered as a button.
    twin = kb.by_id["work.finance.4"].model_copy(update={"id": "work.finance.twin", "title": "小额信贷逾期率（副本）"})
    close = Matcher([kb.by_id["work.finance.4"], twin], kb.synonyms).match("小额信贷逾期率")
    assert close.verdict is Verdict.unsure and not close.abstained
    reply = answerer.reply(close)
    assert [b.data for row in reply.buttons for b in row] == [f"kb:{close.candidates[1].entry.id}"]
    clear = answerer.match("逾期率")
    assert clear.verdict is Verdict.answer and not answerer.reply(clear).buttons
