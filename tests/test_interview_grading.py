"""Mock-interview answers graded like a careful assessor: figures by value, negations, word order, ordinary
synonyms; measured against an independent set of answers graded by a person who never saw the grader."""

import json
import subprocess
import sys

import pytest

from bot.kernel.models import KeyPoint
from bot.practice.agreement import load_cases, measure
from bot.practice.grading import fillin_correct, point_covered
from bot.qa import knowledge

ANSWERS = knowledge.PROJECT_ROOT / "tests" / "data" / "interview_answers.yaml"


@pytest.mark.parametrize("answer, ok", [
    ("产业收入达到4000元", True), ("产业收入要达到四千块", True), ("收入达到4000元的产业", True),
    ("产业收入达到9000元", False), ("产业收入达到1000元", False), ("产业收入达到5000元", False),
    ("产业收入达到4001元", False), ("没有产业收入达到4000元的要求", False),
    ("产业收入达到一千块的奖励四千块", False),
])
def test_a_figure_counts_only_with_its_value(answer, ok):
    assert point_covered(KeyPoint(point="产业收入达到4000元"), answer) is ok


def test_words_of_another_point_do_not_make_it():
    assert not point_covered(KeyPoint(point="政策落实"), "落实责任")
    assert not point_covered(KeyPoint(point="熟悉帮扶对象的基本情况和帮扶措施"), "落实帮扶措施")


def test_cadres_own_words_and_order():
    said = "主要是种椰子、槟榔，还有养文昌鸡"
    assert point_covered(KeyPoint(point="椰子种植"), said)
    assert point_covered(KeyPoint(point="文昌鸡养殖"), said)
    assert point_covered(KeyPoint(point="乡村振兴中队已经挂牌"), "中队要挂牌")
    assert point_covered(KeyPoint(point="详细计算家庭收入"), "算清家庭收入")
    assert point_covered(KeyPoint(point="全力提升能力"), "干部能力要全面提高")


def test_negated_point_is_not_made():
    assert not point_covered(KeyPoint(point="乡村振兴中队已经挂牌"), "中队还没挂牌")
    assert not point_covered(KeyPoint(point="春季特惠性教育资助准确发放到位"), "秋季的特惠性教育资助要发放到位")
    assert point_covered(KeyPoint(point="无义务教育阶段失学辍学学生"), "确保无义务教育阶段失学辍学学生")


def test_fillin_range_written_with_dao():
    from bot.kernel.models import QuizQuestion
    q = QuizQuestion(id="t.range", type="fillin", question="时间段是__", answer="2019年10月至2020年9月",
                     explanation="x", entry="t.range")
    assert fillin_correct(q, "2019年10月到2020年9月")
    assert fillin_correct(q, "2019年10月～2020年9月")
    assert not fillin_correct(q, "2019年10月到2020年8月")


def measured():
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    return measure(kb.interview, load_cases(ANSWERS))


def test_agreement_with_the_independent_set_does_not_fall():
    """The floor measured on this branch (0.911 and 1; before: 0.872 and 9; before the first rewrite: 0.789 and 28)."""
    result = measured()
    assert result.answers >= 150
    assert result.rate >= 0.91, result.line()
    assert result.wrong_figures <= 1, result.line()


@pytest.mark.xfail(strict=True, reason="issue 11 target not reached yet: see README 'Mock interviews' figures")
def test_agreement_target_of_issue_11():
    result = measured()
    assert result.rate >= 0.95 and result.wrong_figures == 0, result.line()


def test_grade_interview_command(tmp_path):
    batch = tmp_path / "answers.jsonl"
    batch.write_text(json.dumps({"question": "iv.overview.four_areas", "answer": "11月1号到3号，查责任落实"},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "bot", "grade-interview", "--json", "--batch", str(batch)],
                         capture_output=True, text=True, cwd=knowledge.PROJECT_ROOT, check=True).stdout
    line = json.loads(out.splitlines()[0])
    assert line["question"] == "iv.overview.four_areas" and line["score"] == 40
    assert {"point": "11月1日至3日", "covered": True} in line["points"]
    assert {"point": "政策落实", "covered": False} in line["points"]
