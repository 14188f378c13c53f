"""Turn a question into what the person reads: the best entry's answer with its source, suggestions, or
an honest "I don't know". Shared by the dialog, ``python -m bot ask`` and the grader contract.
"""

from __future__ import annotations

from typing import Any

from bot.kernel.messages import Button, Reply
from bot.kernel.models import Entry
from bot.qa.knowledge import KnowledgeBase
from bot.qa.matcher import Match, Matcher, Verdict

#: Weak candidates above this are offered as "did you mean" buttons even when the bot abstains.
SUGGEST_ABOVE = 0.32
#: Longest reply text for several questions in one message; what does not fit is offered as a button.
MAX_COMBINED_CHARS = 780
NO_FIGURE = "方案里没有规定这个具体数字（金额、比例或次数），我不能替方案回答，以免说错。请以主管部门的文件为准。"

EXAMPLES = "“小额信贷逾期率要求多少”“村党组书记要熟悉什么”“样本户怎么抽”"


class Answerer:
    """Answers questions from one knowledge base.

    Args:
        kb: the loaded knowledge base; its entries are indexed once here.
    """

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.matcher = Matcher(kb.entries, kb.synonyms, kb.lexicon)

    def match(self, question: str, limit: int = 3) -> Match:
        """Rank entries for ``question``; see :meth:`bot.qa.matcher.Matcher.match`."""
        return self.matcher.match(question, limit=limit)

    def source_line(self, entry: Entry) -> str:
        """Return ``来源：《plan title》 › section`` for an entry."""
        return f"来源：《{self.kb.assessment.title}》 › {entry.source.section}"

    def entry_text(self, entry: Entry) -> str:
        """Return an entry as the person reads it: title, answer, source (plain text, under 800 characters)."""
        return f"{entry.title}\n{entry.answer}\n{self.source_line(entry)}"

    def entry_reply(self, entry: Entry, suggestions: list[Entry] | None = None) -> Reply:
        """Return a reply showing ``entry`` (answer and source) with optional "did you mean" buttons."""
        buttons = [[Button(f"是不是想问：{e.title}"[:60], f"kb:{e.id}")] for e in (suggestions or [])]
        return Reply(f"{entry.answer}\n\n{self.source_line(entry)}", title=entry.title, buttons=buttons)

    def combined_text(self, match: Match) -> tuple[str, list[Entry]]:
        """Return the text answering each question of a message with several (``match.parts``), each answer with
        its source, and the entries that did not fit in :data:`MAX_COMBINED_CHARS` (offered as buttons instead).
        A part asking for a figure the plan does not give is said so, never answered with a topic's entry."""
        blocks: list[str] = []
        left_out: list[Entry] = []
        answered = [p for p in match.parts if p.verdict is not Verdict.no_figure]
        for n, part in enumerate(answered, 1):
            entry = part.candidates[0].entry
            block = f"{n}. {self.entry_text(entry)}"
            if blocks and len("\n\n".join([*blocks, block])) > MAX_COMBINED_CHARS:
                left_out.append(entry)
            else:
                blocks.append(block)
        if len(answered) < len(match.parts):
            blocks.append(f"{len(answered) + 1}. 问到的具体数字：" + NO_FIGURE)
        return "\n\n".join(blocks), left_out

    def reply(self, match: Match) -> Reply:
        """Return the reply for a match: an answer, an answer with suggestions, or an abstention."""
        if match.verdict is Verdict.greeting:
            return Reply("您好！我是“熟悉”备考助手。直接发问题就行，比如" + EXAMPLES + "；发送 /quiz 做练习，/help 看全部功能。")
        if match.verdict is Verdict.thanks:
            return Reply("不客气！还有问题随时发给我，或发送 /quiz 再练几道题。")
        if match.verdict is Verdict.empty:
            return Reply("没看到文字内容。请直接输入想问的政策问题，比如" + EXAMPLES + "。")
        if match.verdict is Verdict.no_figure:
            related = [c.entry for c in match.candidates]
            text = NO_FIGURE + "方案里相关的要求可以点下面查看："
            return Reply(text, buttons=[[Button(f"{e.title}"[:60], f"kb:{e.id}")] for e in related])
        if match.verdict is Verdict.abstain:
            weak = [c.entry for c in match.candidates if c.score >= SUGGEST_ABOVE]
            text = ("抱歉，方案里没有找到能回答这个问题的内容，我只回答《" + self.kb.assessment.title + "》里的政策和要求。"
                    "可以换个说法或只输入关键词，比如" + EXAMPLES + "。")
            buttons = [[Button(f"是不是想问：{e.title}"[:60], f"kb:{e.id}")] for e in weak]
            return Reply(text, buttons=buttons)
        if match.parts:
            text, left_out = self.combined_text(match)
            buttons = [[Button(f"另一问：{e.title}"[:60], f"kb:{e.id}")] for e in left_out]
            return Reply(text, title=f"您问了{len(match.parts)}个问题，分别回答：", buttons=buttons)
        best = match.candidates[0].entry
        others = [c.entry for c in match.candidates[1:]] if match.verdict is Verdict.unsure else []
        return self.entry_reply(best, others)

    def as_json(self, match: Match) -> dict[str, Any]:
        """Return the grader's JSON shape: ``{"query", "abstained", "answers": [{"id","title","text","score"}]}``."""
        answers = [] if match.verdict in (Verdict.greeting, Verdict.thanks, Verdict.empty) else [
            {"id": c.entry.id, "title": c.entry.title, "text": self.entry_text(c.entry), "score": c.score}
            for c in match.candidates]
        if match.parts and answers:
            # Several questions in one message: the first answer is what the person reads, every part answered.
            answers[0]["text"] = self.combined_text(match)[0]
        return {"query": match.query, "abstained": match.abstained, "answers": answers}
