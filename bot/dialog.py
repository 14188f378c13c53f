"""The dialog: one :class:`Incoming` in, a list of :class:`Reply` out. No chat service is known here.

Commands: ``/start`` (register: name → role → town → village), ``/help``, ``/quiz [N]``, ``/me``, ``/cancel``.
Any other text is a policy question. Buttons: ``role:<id>`` (registration), ``kb:<entry id>`` (a suggested
entry), ``q:<session>:<position>:<option>`` (a quiz answer). All state lives in the store, so a restart of
the bot loses nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable

from bot.qa.answers import Answerer
from bot.qa.knowledge import KnowledgeBase
from bot.qa.matcher import Verdict
from bot.kernel.messages import Button, Incoming, Reply
from bot.practice.spaced import Curriculum, Interviewer, Practice, mark_shown, seconds_since_shown
from bot.kernel.models import InterviewQuestion, QuestionType, QuizQuestion
from bot.practice.quiz import DEFAULT_QUESTIONS, MAX_QUESTIONS, SUBMIT, ButtonPress, QuestionSource, QuizMaster
from bot.kernel.roles import Role
from bot.kernel.store import NotFoundError, Person, QuizSession, Store, utcnow

CommandHandler = Callable[[Person, str], list[Reply]]

#: Messages longer than this (characters) are not read as a question.
MAX_QUESTION_CHARS = 300
MAX_FIELD_CHARS = 30

HELP = """我是“熟悉”，帮您准备巩固脱贫成果后评估的访谈。
• 直接发问题：比如“小额信贷逾期率要求多少”“村党组书记要熟悉什么”，也可以只发关键词“逾期率”。每个回答都注明在方案中的出处。
• /practice 按您的角色练习：到期复习的题、新题、以前答错的题（间隔重复）
• /interview 模拟访谈：我扮演评估组提问，按要点给您的回答打分
• /quiz 做一组练习题（/quiz 10 做10题），每题讲解，最后给分数
• /me 看自己的练习情况和薄弱指标
• /village 看本村的村情卡（户数、脱贫户、产业等，评估组会问）
• /polls on 在 Telegram 里用原生答题投票出题（/polls off 改回按钮）
• /remind off 关闭每日备考提醒（/remind on 重新打开）
• /start 登记姓名、角色、镇、村
• /cancel 取消当前的登记或练习"""


def _clean(text: str) -> str:
    """Drop control, format (zero-width) and undecodable characters (keeping line breaks) and surrounding blanks."""
    text = text.encode("utf-8", "replace").decode("utf-8")   # lone surrogates from undecodable input bytes
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip()


_QUESTION_WORDS = re.compile(r"[？?]|多少|什么|怎么|哪|吗|呢|谁|几")


def _looks_like_a_question(text: str, question: QuizQuestion) -> bool:
    """During a fill-in, is ``text`` a policy question rather than an answer? Only when the expected answer has a
    figure and the text has none, and reads as a question (多少, 什么, ？ …)."""
    wants_figure = any(c.isdigit() for c in question.answer_text)
    has_figure = any(c.isdigit() for c in unicodedata.normalize("NFKC", text)) or \
        any(c in "零一二两三四五六七八九十百千万" for c in text)
    return wants_figure and not has_figure and bool(_QUESTION_WORDS.search(text))


class Dialog:
    """The bot's conversation logic over one knowledge base and one store.

    Args:
        kb: the loaded knowledge base (entries and quiz bank).
        store: the database.
        quizmaster: optional, to inject a seeded one in tests.
    """

    def __init__(self, kb: KnowledgeBase, store: Store, quizmaster: QuizMaster | None = None):
        self.kb = kb
        self.store = store
        self.answerer = Answerer(kb)
        self.quiz = quizmaster or QuizMaster(kb, store)
        self.curriculum = Curriculum(kb, self.quiz.bank)
        self.practice = Practice(store, self.curriculum, rng=self.quiz.rng)
        self.interviewer = Interviewer(kb, store, rng=self.quiz.rng)
        self.practice.extra = self.quiz.person_questions
        self.commands: dict[str, CommandHandler] = {
            "start": self._start, "help": self._help, "quiz": self._quiz, "me": self._me, "cancel": self._cancel,
            "practice": self._practice, "interview": self._interview, "polls": self._polls}

    def add_question_source(self, source: QuestionSource) -> None:
        """Add per-person questions (e.g. village fact cards) to practice, interviews and quizzes' lookups."""
        self.quiz.sources.append(source)
        self.interviewer.sources.append(source)

    def _source_line(self, question: QuizQuestion | InterviewQuestion) -> str:
        """"来源：…" for a question: its knowledge entry in the plan, or the per-person source that made it."""
        entry = self.kb.by_id.get(question.entry)
        if entry is not None:
            return self.answerer.source_line(entry)
        return next((line for src in self.quiz.sources if (line := src.source_line(question.id))), "来源：导入的资料")

    def add_command(self, name: str, handler: "CommandHandler") -> None:
        """Register ``/name``: ``handler(person, argument text)`` returns the replies. Replaces an existing one."""
        self.commands[name] = handler

    def handle(self, msg: Incoming) -> list[Reply]:
        """Handle one message and return the replies to send, in order. Never raises for user input."""
        person = self.store.person(msg.person)
        if not msg.private:
            return self._in_group(person, msg)
        if msg.button is not None:
            return self._button(person, msg.button, msg.channel)
        text = _clean(msg.text or "")
        if text.startswith("/"):
            command, _, arg = text[1:].partition(" ")
            command = command.split("@", 1)[0].lower()   # /quiz@ShuxiBot in groups
            handler = self.commands.get(command)
            if handler is None:
                return [Reply(f"不认识这个命令。\n\n{HELP}")]
            return handler(person, arg.strip())
        state = self.store.get_state(person.id)
        if state.get("step"):
            if self._question_during_registration(state["step"], text):
                return self._question(person, text, msg.channel) + [self._registration_prompt(state["step"])]
            return self._registration_step(person, state, text)
        session = self.store.open_session(person.id)
        if session is not None and text:
            answered = self._typed_answer(person, session, text)
            if answered is not None:
                return answered
        return self._question(person, text, msg.channel)

    def _in_group(self, person: Person, msg: Incoming) -> list[Reply]:
        """A group chat: policy questions and their suggested-entry buttons only; the person's registration,
        practice and interview (kept for their private chat) are neither read nor changed."""
        if msg.button is not None:
            if msg.button.startswith("kb:"):
                return self._button(person, msg.button, msg.channel)
            return [Reply("这个按钮只在私聊里有效。")]
        return self._question(person, _clean(msg.text or ""), msg.channel, private=False)

    def _typed_answer(self, person: Person, session: QuizSession, text: str) -> list[Reply] | None:
        """Read typed text as the answer to the open session's current question; None if it is not one."""
        if session.mode == "interview":
            if len(text) > 2000:
                return [Reply("回答太长了，请控制在2000字以内，挑要点说。")]
            return self._interview_answer(person, session, text)
        question = self.quiz.question(session.question_ids[session.position])
        if len(text) > 60:
            return None
        if question.type is QuestionType.multiple and text in ("提交", "确定", "好了"):
            return self._toggle(person, session, SUBMIT, len(question.choices))
        if question.type is QuestionType.fillin and _looks_like_a_question(text, question):
            return None   # answered as a question, and the fill-in is shown again
        judged = self.quiz.judge(question, self.quiz.options(session, question), typed=text)
        if judged is None:
            if len(text) <= 3 and text.isascii():   # 5, AB, x: a slip, not a question for the knowledge base
                return [Reply("没有这个选项，请重新选择。"), self._ask(session)]
            return None
        return self._record(person, session, *judged)

    # --- commands
    def _help(self, person: Person, arg: str) -> list[Reply]:
        return [Reply(HELP)]

    def _start(self, person: Person, arg: str) -> list[Reply]:
        if arg:   # /start <invite code> from a roster invite link: bind this account to that roster row
            from bot.coordination.roster import redeem_reply_text

            return [Reply(redeem_reply_text(self.store, person, arg))]
        self.store.set_state(person.id, {"step": "name"})
        hello = "欢迎使用“熟悉”备考助手！" if not person.registered else "重新登记您的信息。"
        return [Reply(f"{hello}先登记一下，方便给您出对应角色的题。\n请输入您的姓名（发送 /cancel 可跳过）：")]

    def _cancel(self, person: Person, arg: str) -> list[Reply]:
        had_state = bool(self.store.get_state(person.id))
        self.store.set_state(person.id, {})
        session = self.store.open_session(person.id)
        if session:
            self.store.cancel_session(session.id)
            what = "模拟访谈" if session.mode == "interview" else "练习"
            done = f"已作答 {session.position} 题，都已记录" if session.position else "还没有作答"
            return [Reply(f"已结束本次{what}（{done}）。随时发送 /practice、/interview 或 /quiz 再练。")]
        if had_state:
            return [Reply("已取消登记。可以直接提问，或发送 /start 重新登记。")]
        return [Reply("现在没有进行中的登记或练习。可以直接提问，或发送 /quiz 做练习。")]

    def _quiz(self, person: Person, arg: str) -> list[Reply]:
        count = DEFAULT_QUESTIONS
        if arg:
            digits = unicodedata.normalize("NFKC", arg)
            if not (digits.isascii() and digits.isdigit() and len(digits) <= 3) or not 1 <= int(digits) <= MAX_QUESTIONS:
                return [Reply(f"题数请写 1 到 {MAX_QUESTIONS} 之间的数字，比如 /quiz 10。")]
            count = int(digits)
        if not self.kb.questions:
            return [Reply("题库还是空的，请联系管理员。")]
        previous = self.store.open_session(person.id)
        ids = self.quiz.pick(person, count)
        session = self.store.start_session(person.id, ids)
        restarted = self._leave_registration(person) + (
            f"上一组练习已结束（答对 {previous.correct}/{previous.position} 题，已记录）。" if previous else "")
        intro = Reply(f"{restarted}开始练习，共 {len(ids)} 题。点选项或输入字母作答，发送 /cancel 随时结束。")
        return [intro, self._ask(session)]

    def _leave_registration(self, person: Person) -> str:
        """Starting a quiz, practice or interview abandons an unfinished /start; return a note saying so, or ""."""
        state = self.store.get_state(person.id)
        if not state.get("step"):
            return ""
        self.store.set_state(person.id, {k: v for k, v in state.items() if k not in ("step", "name", "role", "town")})
        return "（登记没有完成，已退出；需要时再发送 /start。）"

    def _practice(self, person: Person, arg: str) -> list[Reply]:
        role = Role(person.role) if person.role else None
        ids = self.practice.pick(person)
        if not ids:
            return [Reply("今天没有到期要复习的题了，明天再来！也可以发送 /quiz 做一组新题，或 /interview 模拟访谈。")]
        previous = self.store.open_session(person.id)
        session = self.store.start_session(person.id, ids, mode="practice")
        cards = self.practice.cards(person.id)
        due = sum(1 for q in ids if q in cards)
        whose = f"{role.label}必须掌握的内容" if role else "全部内容（发送 /start 登记角色后按角色出题）"
        restarted = self._leave_registration(person) + ("上一组已结束并记录。" if previous else "")
        intro = Reply(f"{restarted}练习：{whose}。本组 {len(ids)} 题（其中 {due} 道是到期复习或以前答错的）。"
                      "答错的题会更快再出现，答对的间隔越来越长。发送 /cancel 随时结束。")
        return [intro, self._ask(session)]

    def _interview(self, person: Person, arg: str) -> list[Reply]:
        if not person.registered or not person.role:
            return [Reply("模拟访谈按角色出题，请先发送 /start 登记您的角色。")]
        ids = self.interviewer.pick(person)
        if not ids:
            return [Reply("还没有为您的角色准备模拟访谈题。可以先发送 /practice 练习。")]
        previous = self.store.open_session(person.id)
        self.store.start_session(person.id, ids, mode="interview")
        session = self.store.open_session(person.id)
        ended = self._leave_registration(person) + ("上一组练习已结束并记录。" if previous else "")
        intro = Reply(f"{ended}模拟访谈开始：我扮演评估组，按“{Role(person.role).label}”的访谈要求问您 {len(ids)} 个问题。"
                      "每题直接输入回答，我按要点打分并告诉您漏了什么。发送 /cancel 随时结束。")
        return [intro, self._ask(session)]

    def _interview_answer(self, person: Person, session: QuizSession, text: str) -> list[Reply]:
        question = self.interviewer.question(session.question_ids[session.position])
        result = self.interviewer.answer(session, text)
        if result is None:
            return [Reply("这道题已经答过了。")]
        grade, updated = result
        lines = [f"本题得分：{grade.score:.0f} 分（答到 {len(grade.covered)}/{len(question.key_points)} 个要点）"]
        if grade.too_long:
            lines.append("回答太长了：访谈时要简明扼要、答到要点，超长的回答本题最多 60 分。")
        lines += [f"✅ {p.point}" for p in grade.covered]
        lines += [f"❌ 漏了：{p.point}" for p in grade.missed]
        if grade.missed:
            lines.append(f"参考答案：{question.model_answer}")
        lines.append(self._source_line(question))
        replies = [Reply("\n".join(lines))]
        if updated.status == "finished":
            score = self.interviewer.session_score(updated.id)
            missed = self.interviewer.missed_points(updated.id)
            summary = [f"模拟访谈结束：平均 {score:.0f} 分（80分以上算准备好了）。"]
            if missed:
                summary.append("要补的要点：" + "；".join(p for _, p in missed[:6]))
            summary.append("发送 /interview 再来一次，/practice 针对薄弱项练习。")
            replies.append(Reply("\n".join(summary)))
        else:
            replies.append(self._ask(updated))
        return replies

    def _me(self, person: Person, arg: str) -> list[Reply]:
        answers = self.store.answers(person.id)
        who = (f"{person.name}（{Role(person.role).label}，{person.town} {person.village}）"
               if person.registered and person.role else "未登记（发送 /start 登记）")
        practice = self._practice_status(person)
        if not answers:
            return [Reply(f"{who}\n还没有做过练习。发送 /practice 或 /quiz 开始。{practice}")]
        right = sum(a["correct"] for a in answers)
        per_indicator: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for a in answers:
            q = self.quiz.by_id.get(a["question_id"])
            if q is None:
                continue
            # Grouped by indicator; questions on the plan's other parts (sampling, areas …) by their entry.
            topic = self.kb.by_id.get(q.indicator or q.entry)
            if topic is not None:
                per_indicator[topic.title][0] += 1
                per_indicator[topic.title][1] += a["correct"]
        weakest = sorted(((r / n, n, t) for t, (n, r) in per_indicator.items() if r < n))[:3]
        lines = [who, f"已答 {len(answers)} 题，答对 {right} 题，正确率 {100 * right / len(answers):.0f}%。"]
        if weakest:
            lines.append("最需要加强的指标和内容：")
            lines += [f"• {t}：答对 {round(acc * n)}/{n}" for acc, n, t in weakest]
        elif right == len(answers):
            lines.append("目前答过的题全部答对，继续保持！")
        return [Reply("\n".join(lines) + practice)]

    def _practice_status(self, person: Person) -> str:
        """One or two lines on spaced-repetition cards and the best mock interview (empty if neither)."""
        cards = self.practice.cards(person.id)
        now = datetime.now(timezone.utc).isoformat()
        lines = []
        if cards:
            due = sum(1 for c in cards.values() if c["due"] <= now)
            lines.append(f"间隔复习：{len(cards)} 道题在复习中，现在到期 {due} 道（/practice）。")
        best = self.store.db.execute("select max(score), count(*) from mock_interviews where person_id = ?",
                                     [person.id]).fetchone()
        if best[1]:
            lines.append(f"模拟访谈：做过 {best[1]} 次，最高 {best[0]:.0f} 分（/interview）。")
        return "".join("\n" + line for line in lines)

    # --- registration
    def _registration_step(self, person: Person, state: dict, text: str) -> list[Reply]:
        step = state["step"]
        if step == "role":
            role = self._role_from_text(text)
            if role is None:
                return [self._role_prompt("请点下面的按钮选择角色：")]
            return self._after_role(person, state, role)
        if not text or len(text) > MAX_FIELD_CHARS or not any(c.isalnum() for c in text):
            what = {"name": "姓名", "town": "所在镇", "village": "所在村（或单位）"}[step]
            return [Reply(f"请输入{what}，{MAX_FIELD_CHARS}个字以内。")]
        if step == "name":
            self.store.set_state(person.id, {"step": "role", "name": text})
            return [self._role_prompt(f"{text}，您好！请选择您的角色：")]
        if step == "town":
            self.store.set_state(person.id, {**state, "step": "village", "town": text})
            return [Reply("请输入您所在的村（镇、市直部门的同志填单位名称）：")]
        # step == "village"
        updated = self.store.register(person.id, state["name"], state["role"], state["town"], text)
        self.store.set_state(person.id, {})
        return [Reply(f"登记完成：{updated.name}，{Role(updated.role).label}，{updated.town} {updated.village}。\n\n{HELP}")]

    def _question_during_registration(self, step: str, text: str) -> bool:
        """Is ``text``, typed while registration waits for ``step``, a policy question rather than the answer?
        Yes when it reads as a question (多少, 什么, ？ …); for the name (or an unrecognised role) also when the
        bot can answer it confidently, or it is longer than a name (12 characters) and matches the plan at all. Town and unit names
        (乡村振兴局) may match the plan, so there only the question words count."""
        if step == "role" and self._role_from_text(text) is not None:
            return False
        if len(text) >= 4 and _QUESTION_WORDS.search(text):
            return True
        if step in ("name", "role") and len(text) > 4:
            verdict = self.answerer.match(text).verdict
            return verdict is Verdict.answer or (len(text) > 12 and verdict is Verdict.unsure)
        return False

    def _registration_prompt(self, step: str) -> Reply:
        """The registration question still waiting for an answer, asked again after a policy question."""
        if step == "role":
            return self._role_prompt("请继续登记：请选择您的角色：")
        what = {"name": "您的姓名（发送 /cancel 可跳过）", "town": "您所在的镇（市直部门的同志填“市直”）",
                "village": "您所在的村（镇、市直部门的同志填单位名称）"}[step]
        return Reply(f"请继续登记：请输入{what}：")

    def _role_prompt(self, text: str) -> Reply:
        return Reply(text, buttons=[[Button(r.label, f"role:{r.value}")] for r in Role])

    @staticmethod
    def _role_from_text(text: str) -> Role | None:
        """Return the role named by ``text`` (its id, or two or more characters of one label only), else None."""
        exact = [r for r in Role if text == r.value or text == r.label]
        if exact:
            return exact[0]
        from bot.coordination.roster import role_from_text   # the words cadres use for roles (村支书, 帮扶干部 …), as in the roster
        known = role_from_text(text)
        if known is not None:
            return known
        partial = [r for r in Role if len(text) >= 2 and text in r.label]
        return partial[0] if len(partial) == 1 else None

    def _after_role(self, person: Person, state: dict, role: Role) -> list[Reply]:
        self.store.set_state(person.id, {**state, "step": "town", "role": role.value})
        return [Reply(f"角色：{role.label}。\n请输入您所在的镇（市直部门的同志填“市直”）：")]

    # --- buttons
    def _button(self, person: Person, data: str, channel: str) -> list[Reply]:
        if data.startswith("role:"):
            state = self.store.get_state(person.id)
            role = next((r for r in Role if r.value == data[5:]), None)
            if state.get("step") != "role" or role is None:
                return [Reply("这个登记按钮已经过期了。需要重新登记请发送 /start。")]
            return self._after_role(person, state, role)
        if data.startswith("kb:"):
            entry = self.kb.by_id.get(data[3:])
            if entry is None:
                return [Reply("这条内容已经不在知识库里了，请重新提问。")]
            self.store.log_question(person.id, f"[按钮] {entry.title}", entry.id, None, False, "button", channel)
            return [self.answerer.entry_reply(entry)]
        press = ButtonPress.parse(data)
        if press is None:
            return [Reply("这个按钮已经失效了。发送 /help 查看可以做什么。")]
        return self._quiz_answer(person, press)

    def _quiz_answer(self, person: Person, press: ButtonPress) -> list[Reply]:
        try:
            session = self.store.session(press.session_id)
        except NotFoundError:
            session = None
        if session is None or session.person_id != person.id:
            return [Reply("这道题不是您当前的练习。发送 /practice 或 /quiz 开始新的练习。")]
        if session.status != "open":
            return [Reply("这次练习已经结束了。发送 /practice 继续练习，或 /quiz 做一组新题。")]
        if press.position < session.position:
            return [Reply("这道题已经答过了，答案已记录。请看下面最新的题目。")]
        if press.position > session.position or session.mode == "interview":
            return [Reply("这个按钮已经失效了。"), self._ask(session)]
        question = self.quiz.question(session.question_ids[session.position])
        options = self.quiz.options(session, question)
        if press.toggle:
            return self._toggle(person, session, press.option, len(options))
        judged = self.quiz.judge(question, options, indices=[press.option])
        if judged is None:
            return [Reply("这个选项无效，请重新选择。"), self._ask(session)]
        return self._record(person, session, *judged)

    def _toggle(self, person: Person, session: QuizSession, option: int, count: int) -> list[Reply]:
        """Tick or untick one option of a multiple-choice question, or submit the ticked ones."""
        state = self.store.get_state(person.id)
        pick = state.get("pick") or {}
        picked: list[int] = pick.get("i", []) if pick.get("at") == [session.id, session.position] else []
        if option == SUBMIT:
            if not picked:
                return [Reply("还没有勾选任何选项。"), self._ask(session, picked)]
            question = self.quiz.question(session.question_ids[session.position])
            judged = self.quiz.judge(question, self.quiz.options(session, question), indices=picked)
            assert judged is not None
            return self._record(person, session, *judged)
        if not 0 <= option < count:
            return [Reply("这个选项无效，请重新选择。"), self._ask(session, picked)]
        picked = sorted(set(picked) ^ {option})
        self.store.set_state(person.id, {**state, "pick": {"at": [session.id, session.position], "i": picked}})
        return [self._ask(session, picked)]

    def _ask(self, session: QuizSession, picked: list[int] | None = None) -> Reply:
        """Show the session's current question (quiz or interview) and note when it was shown."""
        mark_shown(self.store, session.id)
        if session.mode == "interview":
            question = self.interviewer.question(session.question_ids[session.position])
            return Reply(f"模拟访谈 第 {session.position + 1}/{len(session.question_ids)} 题\n评估组问：{question.question}\n"
                         "请直接输入您的回答，像面对评估组一样把要点说完整。")
        person = self.store.person_by_id(session.person_id)
        return self.quiz.ask(session, picked, as_poll=self._wants_polls(person.id))

    def _wants_polls(self, person_id: int) -> bool:
        row = self.store.db.execute("select use_polls from people where id = ?", [person_id]).fetchone()
        return bool(row and row[0])

    def _polls(self, person: Person, arg: str) -> list[Reply]:
        choice = arg.strip().lower()
        if choice not in ("on", "off", "开", "关"):
            state = "开" if self._wants_polls(person.id) else "关"
            return [Reply(f"投票答题现在是“{state}”。发送 /polls on 用 Telegram 原生答题投票出题，/polls off 改回按钮。"
                          "（只在 Telegram 私聊里有效；终端里总是按钮。）")]
        on = choice in ("on", "开")
        self.store.db["people"].update(person.id, {"use_polls": int(on)})
        return [Reply("已改为用答题投票出选择题和判断题。" if on else "已改回用按钮出题。")]

    def remember_poll(self, poll_id: str, person_key: str, answer_data: str) -> None:
        """Record that quiz poll ``poll_id`` (sent to ``person_key``) stands for the buttons ``answer_data<i>``."""
        person = self.store.person(person_key)
        self.store.db["polls"].upsert({"poll_id": poll_id, "person_id": person.id, "answer_data": answer_data,
                                       "sent_at": utcnow()}, pk="poll_id")

    def poll_answer(self, poll_id: str, person_key: str, option: int) -> list[Reply]:
        """Handle a person's answer to a quiz poll as the press of the matching button; unknown polls get a
        clear reply."""
        row = next(self.store.db["polls"].rows_where("poll_id = ?", [poll_id]), None)
        person = self.store.person(person_key)
        if row is None or row["person_id"] != person.id:
            return [Reply("这个投票已经失效了。发送 /practice 继续练习。")]
        return self.handle(Incoming(person_key, button=f"{row['answer_data']}{option}", channel="telegram"))

    def _record(self, person: Person, session: QuizSession, chosen: str, correct: bool) -> list[Reply]:
        """Record an answer to the current question, rate the card in practice, and show the next question."""
        question = self.quiz.question(session.question_ids[session.position])
        seconds = seconds_since_shown(self.store, session.id)
        updated = self.store.record_answer(session, chosen, correct)
        if updated is None:
            return [Reply("这道题已经答过了，答案已记录。")]
        state = self.store.get_state(person.id)
        if "pick" in state:
            self.store.set_state(person.id, {k: v for k, v in state.items() if k != "pick"})
        if session.mode == "practice":
            self.practice.review(person.id, question.id, correct, seconds)
        verdict = "✅ 回答正确！" if correct else f"❌ 回答错误。正确答案：{question.answer_text}"
        replies = [Reply(f"{verdict}\n{question.explanation}\n{self._source_line(question)}")]
        if updated.status == "finished":
            replies.append(self._summary(updated))
        else:
            replies.append(self._ask(updated))
        return replies

    def _summary(self, session: QuizSession) -> Reply:
        total = len(session.question_ids)
        pct = 100 * session.correct / total
        comment = "很熟悉了！" if pct >= 90 else ("还需要再巩固。" if pct >= 60 else "要多练习，访谈时这些最容易失分。")
        again = "/practice 继续练习" if session.mode == "practice" else "/quiz 再练一组"
        return Reply(f"练习结束：答对 {session.correct}/{total} 题（{pct:.0f}分）。{comment}\n"
                     f"发送 {again}，/me 查看薄弱指标。")

    # --- questions
    def _question(self, person: Person, text: str, channel: str, private: bool = True) -> list[Reply]:
        if len(text) > MAX_QUESTION_CHARS:
            self.store.log_question(person.id, text, None, None, True, "too_long", channel)
            return [Reply(f"消息太长了（{len(text)}个字）。请一次只问一个问题，最好在50个字以内，"
                          "比如“小额信贷逾期率要求多少”。")]
        match = self.answerer.match(text)
        best = match.best
        self.store.log_question(person.id, text, best.entry.id if best else None, best.score if best else None,
                                match.abstained, match.verdict.value, channel)
        replies = [self.answerer.reply(match)]
        session = self.store.open_session(person.id) if private else None
        if session is not None:
            hint = ("模拟访谈还在进行中：直接输入回答" if session.mode == "interview"
                    else "练习还在进行中：点选项，或输入选项字母、“对”“错”、填空答案作答")
            replies += [Reply(f"（{hint}；发送 /cancel 结束。）"), self._ask(session)]
        return replies
