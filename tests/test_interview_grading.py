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
# A second set, written later by another person who saw neither the grader nor the first set: the check that what
# was changed while looking at the first set holds for answers nobody tuned to.
HOLDOUT = knowledge.PROJECT_ROOT / "tests" / "data" / "interview_answers_holdout.yaml"


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


def test_a_later_clause_can_take_a_point_back():
    point = KeyPoint(point="全力提升精准度")
    assert point_covered(point, "四个提升是能力、质量、满意度、精准度")
    assert not point_covered(point, "四个提升是能力、质量、满意度、精准度，不过精准度去年已经搞过了，这次不用再提升了")
    contact = KeyPoint(point="均安排帮扶联系人")
    assert not point_covered(contact, "只有脱贫户安排联系人，监测户不用安排")
    # a negation about something else takes nothing back, nor one in a clause that only names who is meant
    assert point_covered(contact, "脱贫户监测户都要安排帮扶联系人，不能走过场")
    assert point_covered(KeyPoint(point="高于纳入监测时的收入"), "风险没消除的监测户，收入要比纳入监测那时候高")


def test_a_target_said_is_an_at_least_only_against_a_figure():
    assert point_covered(KeyPoint(point="满意度达到90%以上"), "群众满意度要90%")
    assert point_covered(KeyPoint(point="支出进度达到75%以上"), "支出进度要达到百分之七十五")
    assert not point_covered(KeyPoint(point="支出进度达到75%以上"), "支出进度要达到百分之七十")
    assert not point_covered(KeyPoint(point="确权率和移交率不低于全省平均值", accept=["确权率"]), "确权率要达到100%")


def test_plain_words_for_the_plans_abstract_ones():
    assert point_covered(KeyPoint(point="产业帮扶措施有延续性"), "产业的帮扶措施能一直延续下去")
    assert point_covered(KeyPoint(point="重病户"), "得了重病的户要及时纳入")
    assert point_covered(KeyPoint(point="每月研究或部署推进"), "镇里月月都研究部署")


def test_everyday_phrases_of_the_lexicon_count():
    # knowledge/lexicon.yaml maps 一定抽 to the plan's 必抽; the negation around it still counts
    assert point_covered(KeyPoint(point="脱贫监测对象必抽"), "监测户是一定抽的")
    assert not point_covered(KeyPoint(point="脱贫监测对象必抽"), "监测户不一定抽得到")


def test_how_often_is_not_interchangeable():
    monthly = KeyPoint(point="每月至少研究一次")
    assert point_covered(monthly, "中队每个月至少研究一次")
    assert not point_covered(monthly, "中队每个季度至少研究一次")


def test_which_office_leads_is_not_interchangeable():
    assert not point_covered(KeyPoint(point="农业农村局牵头，各镇落实"), "人社局牵头，各镇落实")
    assert point_covered(KeyPoint(point="农业农村局牵头，各镇落实"), "由农业农村局牵头各镇落实")


def test_fillin_range_written_with_dao():
    from bot.kernel.models import QuizQuestion
    q = QuizQuestion(id="t.range", type="fillin", question="时间段是__", answer="2019年10月至2020年9月",
                     explanation="x", entry="t.range")
    assert fillin_correct(q, "2019年10月到2020年9月")
    assert fillin_correct(q, "2019年10月～2020年9月")
    assert not fillin_correct(q, "2019年10月到2020年8月")


def measured(path=ANSWERS):
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    return measure(kb.interview, load_cases(path))


@pytest.mark.parametrize("path, floor, wrong", [(ANSWERS, 0.955, 0), (HOLDOUT, 0.92, 0)],
                         ids=["first-set", "holdout"])
def test_agreement_with_the_independent_sets_does_not_fall(path, floor, wrong):
    """Floors measured on main (first set 0.957, held-out set 0.928 — see README 'Mock interviews'); history of the
    first set: 0.911, 0.872, and 0.789 before the first rewrite."""
    result = measured(path)
    assert result.answers >= 150
    assert result.rate >= floor, result.line()
    assert result.wrong_figures <= wrong, result.line()


def test_agreement_target_of_issue_11():
    """Issue 11: ≥ 95 % of points graded as the human did, no wrong figure credited (on the first set; the held-out
    set, written later by another person, is at 0.928 and 0: see README 'Mock interviews')."""
    result = measured()
    assert result.rate >= 0.95 and result.wrong_figures == 0, result.line()


def test_a_passage_on_another_part_of_the_plan_answers_another_question():
    from bot.practice.grading import grade_interview
    q = interview_question("产业奖补政策是怎么规定的？", "10月底前必须发放到位")
    assert grade_interview(q, "就业激励奖补政策，10月底前必须发放到位").score == 0
    assert grade_interview(q, "产业奖补10月底前必须发放到位").score == 100
    assert grade_interview(q, "10月底前必须发放到位").score == 100


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


def test_waving_a_requirement_away_takes_the_point_back():
    upkeep = KeyPoint(point="厕所改造及后期管理维护到位")
    assert not point_covered(upkeep, "厕所改造完了，后期管理维护无所谓")
    assert not point_covered(KeyPoint(point="避免出现家庭其他成员替代上岗"), "家里人替代上岗，这个没关系")
    assert point_covered(KeyPoint(point="不低于50%"), "不低于50%就行，比去年低一点没关系")


def test_everyone_who_should_be_said_with_the_verb():
    assert point_covered(KeyPoint(point="应签尽签"), "这几种慢病的脱贫人口家庭医生都要签上，一个不漏")
    assert not point_covered(KeyPoint(point="应签尽签"), "家庭医生签了一部分")


def interview_question(question, *points):
    """A one-off interview question with these key points (model answer: the points joined)."""
    from bot.kernel.models import InterviewQuestion
    return InterviewQuestion(id="iv.t", roles=["village_secretary"], question=question,
                             key_points=[KeyPoint(point=p) for p in points], model_answer="；".join(points),
                             entry="t")


def test_words_of_the_question_need_not_be_repeated_beside_the_figure():
    from bot.practice.grading import grade_interview
    q = interview_question("群众满意度要达到多少？", "满意度达到90%以上")
    assert grade_interview(q, "要求是百分之九十以上").score == 100
    assert grade_interview(q, "要求是百分之八十以上").score == 0


def test_saying_a_harm_will_not_happen_agrees_with_averting_it():
    water = KeyPoint(point="能有效应对季节性缺水断水")
    assert point_covered(water, "旱季的时候有备用水源，季节性缺水也不会断水")
    assert not point_covered(water, "旱季的时候季节性缺水断水没办法应对")
    # 个别 (a few) is no negation
    assert point_covered(KeyPoint(point="重点关注个别学生厌学"), "要重点关注个别学生厌学")


def test_a_shorter_wording_that_is_waved_away_earns_nothing():
    change = KeyPoint(point="退休、工作调整", accept=["退休"])
    assert not point_covered(change, "联系人退休了就算了，单位不用再派人")
    assert point_covered(change, "联系人退休了要及时调整，单位马上再派人")
    assert not point_covered(KeyPoint(point="解除风险合规、准确"), "风险解除差不多就行")
    # 不找准不放过 is no denial
    assert point_covered(KeyPoint(point="反馈问题整改"), "切实做到反馈问题不找准不放过、整改不彻底不放过")


def test_a_malformed_synonyms_file_names_file_line_and_field(tmp_path):
    from bot.kernel.yamlfile import DataFileError
    from bot.practice.grading import load_synonyms
    bad = tmp_path / "interview_synonyms.yaml"
    bad.write_text("groups:\n  - [提升, 提高]\n  - oops: 1\nfoo: 2\n", encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_synonyms(bad)
    said = [str(e) for e in exc.value.errors]
    assert any(":3: groups.1" in e for e in said) and any(":4: foo" in e for e in said), said


def test_the_shipped_synonyms_file_loads():
    from bot.practice.grading import load_synonyms
    data = load_synonyms()
    assert data.groups and data.contrasts and data.topics


def test_every_model_answer_scores_full_marks():
    """The reference answer the bot shows after each question must pass its own grader."""
    from bot.practice.grading import grade_interview
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    low = {q.id: [p.point for p in g.missed] for q in kb.interview
           if (g := grade_interview(q, q.model_answer)).score < 100}
    assert not low, low


@pytest.mark.parametrize("point, answer, ok", [
    # a negation bears on what it modifies: a modifier (未消除的), a problem watched for (关注…没有…问题), a question
    ("高于纳入监测时的收入", "风险未消除的监测对象要高于纳入监测时的收入", True),
    ("单位及时安排人员衔接", "重点关注联系人退休、调整等，单位没有及时安排人员衔接问题", True),
    ("经济收入变化情况", "问农户家里经济收入有没有变化、两不愁三保障做到没有、有没有该纳入没纳入的", True),
    # … and only on its own item of a list and those after it
    ("无体外循环", "不能有该纳没纳、放在外面帮的体外循环", True),
    # a question answered at once by a denial, a short denial after the point, what cannot be done
    ("群众看病方便", "合格村医？没有。看病方便？不方便。", False),
    ("群众看病方便", "看病方便吗？方便，卫生室就在村里。", True),
    ("逾期率低于0.5%", "逾期率低于0.5%？我们村做不到", False),
    ("能有效应对季节性缺水断水", "旱季缺水断水应对不了", False),
    ("吃住在村", "队员都不住在村里", False),
    ("查阅资料", "查阅资料这些都是乡镇的事，这个跟我们没关系", False),
    ("无体外循环", "体外循环也没事", False),
    # naming the harm is not averting it; the lexicon's topic phrases do not turn a complaint into the point
    ("能有效应对季节性缺水断水", "季节性缺水断水经常发生", False),
    ("群众看病方便", "村医不合格，看病难", False),
    ("供水设施设备运维管护到位", "供水设施没人管护", False),
    # 每两个月 is another period than 每月
    ("每月至少研究一次", "中队挂牌了，每两个月至少研究一次", False),
])
def test_what_a_negation_bears_on(point, answer, ok):
    assert point_covered(KeyPoint(point=point), answer) is ok


def test_a_wrong_figure_is_named_as_wrong_not_as_missing():
    from bot.practice.grading import grade_interview
    q = interview_question("产业奖补政策是怎么规定的？", "产业收入达到4000元", "奖励1000元")
    grade = grade_interview(q, "产业收入达到三千块的，奖励一千块")
    assert [p.point for p in grade.covered] == ["奖励1000元"]
    assert grade.wrong == {"产业收入达到4000元": "3000元"}
    assert grade_interview(q, "奖励一千块").wrong == {}   # not said at all: missing, not wrong


def test_all_key_points_said_in_one_sentence_score_full_marks():
    """Saying every point, one after another (as a cadre reciting them would), never takes one of them back."""
    from bot.practice.grading import grade_interview
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    low = {q.id: [p.point for p in g.missed] for q in kb.interview
           if (g := grade_interview(q, "，".join(p.point for p in q.key_points) + "。")).score < 100}
    assert not low, low
