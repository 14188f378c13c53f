"""Questions as cadres speak them (issue 10): everyday phrases mapped to the plan's concepts by a curated lexicon,
voice-input and Hainan-accent slips matched by sound classes (never above the plan's own characters), two
questions in one message, and the lexicon's checks. Wording here is our own, not the evaluation sets'."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.kernel.yamlfile import DataFileError
from bot.qa import knowledge
from bot.qa.answers import MAX_COMBINED_CHARS, Answerer
from bot.qa.lexicon import Lexicon
from bot.qa.matcher import split_questions
from bot.qa.sound import sound_class

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def answerer(kb):
    return Answerer(kb)


def first_text(answerer, question):
    obj = answerer.as_json(answerer.match(question))
    assert not obj["abstained"], f"abstained on {question!r}"
    return obj["answers"][0]["text"]


@pytest.mark.parametrize("spoken, fact", [
    ("护林员自己不去让儿子替他干活可以吗", "替代上岗"),          # 护林员 → 公益岗位, 替…干活 → 替代上岗
    ("村里水泵坏了半个月了没人修", "运维管护"),                  # 水泵 → 供水设施, 没人修 → 运维管护
    ("贫困户的孩子初中没读完不念了", "失学辍学"),                # 不念了 → 失学辍学
    ("家里屋顶漏雨墙也裂了的算不算", "住危房"),                  # 屋顶漏雨, 墙裂了 → 住危房
    ("旱天水井干了村民没水喝", "季节性缺水断水"),                # 天旱, 井干了 → 缺水断水
    ("监测户想找银行贷点钱养牛", "应贷尽贷"),                    # 贷点钱 → 小额信贷, 养牛 → 产业
    ("老人瘫在床上一点劳动能力都没有怎么兜底", "临时救助"),      # 瘫在床上 → 丧失劳动能力
])
def test_everyday_phrases_reach_the_plans_entry(answerer, spoken, fact):
    assert fact in first_text(answerer, spoken)


@pytest.mark.parametrize("slip, fact", [
    ("富贷企用", "户贷企用"),   # f/h: 户 hu heard as 富 fu
    ("娘后生", "两后生"),       # n/l: 两 liang heard as 娘 niang
    ("放贫综合保险", "防贫综合保险"),
])
def test_accent_slips_match_by_sound_class(answerer, slip, fact):
    assert fact in first_text(answerer, slip)


def test_sound_classes_merge_what_hainan_speakers_merge():
    assert sound_class("路") == sound_class("怒")          # n/l
    assert sound_class("湖") == sound_class("福")          # f/h
    assert sound_class("真") == sound_class("争")          # zh/z, en/eng
    assert sound_class("心") == sound_class("星")          # in/ing
    assert sound_class("大") != sound_class("他")


def test_exact_characters_always_score_above_a_sound_alike(answerer):
    exact = answerer.match("户贷企用").best
    heard = answerer.match("富贷企用").best
    assert exact.entry.id == heard.entry.id and exact.score > heard.score


def test_lexicon_finds_phrases_by_characters_before_sound():
    lexicon = Lexicon([("替…上班", "替代上岗"), ("贷点款", "小额信贷"), ("顶班", "替代上岗")])
    text, hits = lexicon.apply("让他弟弟替他上班，还想贷点宽")
    assert [(h.concept, h.by_sound) for h in hits] == [("替代上岗", False), ("小额信贷", True)]
    assert "替代上岗" in text and "小额信贷" in text
    # A span that is the plan's own words is never re-read as a phrase by sound.
    assert lexicon.find("贷点宽", known=lambda pair: True) == []


def test_two_questions_in_one_message_get_both_answers(answerer):
    match = answerer.match("逾期率最高多少？两后生读职业学校有资助吗")
    assert not match.abstained and len(match.parts) == 2
    text = answerer.as_json(match)["answers"][0]["text"]
    assert "0.5%" in text and "两后生" in text and text.count("来源：") == 2
    assert len(text) <= MAX_COMBINED_CHARS
    reply = answerer.reply(match)
    assert "0.5%" in reply.text and "两后生" in reply.text and "2个问题" in (reply.title or "")


def test_one_question_with_a_comma_is_answered_once(answerer):
    match = answerer.match("小额信贷逾期率，要求是多少")
    assert not match.parts and "0.5%" in first_text(answerer, "小额信贷逾期率，要求是多少")


def test_split_questions_keeps_clauses_of_two_characters_or_more():
    assert split_questions("逾期率多少？ 两后生呢，啊") == ["逾期率多少", "两后生呢啊"]


@pytest.mark.parametrize("typed", [
    "扶贫小额信贷一户最多能借多少",          # an amount lent: the plan gives none
    "公益岗位一般干几年要换人",              # a duration: the plan gives none
    "海口那边样本户抽了多少户",              # another city's assessment
    "2023年的后评估什么时候开始",            # another year's
])
def test_questions_the_plan_does_not_answer_still_abstain(answerer, typed):
    assert answerer.match(typed).abstained


def copy_knowledge(tmp_path, lexicon_text):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    (tmp_path / "knowledge" / "lexicon.yaml").write_text(lexicon_text, encoding="utf-8")
    return tmp_path / "knowledge"


def test_validator_rejects_a_concept_the_knowledge_base_lacks(tmp_path):
    kroot = copy_knowledge(tmp_path, "concepts:\n  - concept: 饮水安全\n    phrases: [吃水]\n"
                                     "  - concept: 宇宙飞船\n    phrases: [火箭]\n")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, None)
    errors = [str(e) for e in exc.value.errors]
    assert len(errors) == 1 and errors[0].startswith("knowledge/lexicon.yaml:4: concepts.1.concept:") or \
        errors[0].endswith("lexicon.yaml:4: concepts.1.concept: '宇宙飞船' is not a word of the knowledge base "
                           "(no title, alias or answer holds it): map phrases to the plan's own words"), errors
    assert ":4: concepts.1.concept:" in errors[0] and "宇宙飞船" in errors[0]


@pytest.mark.parametrize("phrases, complaint", [
    ("[饮水安全]", "already a word of the knowledge base"),
    ("[水]", "not a single character"),
    ("[吃…]", "text on both sides"),
])
def test_validator_rejects_bad_phrases_with_line_and_field(tmp_path, phrases, complaint):
    kroot = copy_knowledge(tmp_path, f"concepts:\n  - concept: 饮水安全\n    phrases: {phrases}\n")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, None)
    errors = [str(e) for e in exc.value.errors]
    assert len(errors) == 1 and ":3: concepts.0.phrases.0:" in errors[0] and complaint in errors[0], errors


def test_validator_rejects_unknown_keys_in_the_lexicon(tmp_path):
    kroot = copy_knowledge(tmp_path, "concepts:\n  - concept: 饮水安全\n    phrases: [吃水]\n    colour: blue\n")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, None)
    assert any("concepts.0.colour: unknown key 'colour'" in str(e) for e in exc.value.errors)


def test_unanswered_log_shows_the_lexicon_concepts_a_question_hit(tmp_path):
    db = str(tmp_path / "t.db")
    asked = subprocess.run([sys.executable, "-m", "bot", "--db", db, "ask", "--json", "护林员的工资按月发吗"],
                           capture_output=True, text=True, cwd=ROOT, encoding="utf-8")
    assert json.loads(asked.stdout)["abstained"], asked.stdout
    listed = subprocess.run([sys.executable, "-m", "bot", "--db", db, "unanswered"],
                            capture_output=True, text=True, cwd=ROOT, encoding="utf-8")
    line = next(ln for ln in listed.stdout.splitlines() if "护林员的工资按月发吗" in ln)
    assert "lexicon: 公益岗位" in line, listed.stdout
