"""Policy Q&A in the chat: any text no other state takes is a question; ``kb:<entry id>`` buttons open an entry.

Registered with the router by :func:`install`. Every question is logged (``questions``) with what was answered,
for ``/unanswered`` and ``python -m bot unanswered``.
"""

from __future__ import annotations

import re

from bot.kernel.messages import Reply
from bot.kernel.router import Router
from bot.kernel.store import Person, Store

from .answers import Answerer

#: Messages longer than this (characters) are not read as a question.
MAX_QUESTION_CHARS = 300

#: A question about one's own village (本村, 我们村 …): its figures are on the village card, not in the plan.
_OWN_VILLAGE = re.compile(r"本村|我们村|咱们村|咱村|我村|俺村|村里")
OWN_VILLAGE_HINT = "本村自己的户数、人口、产业等数字不在方案里，在镇里导入的村情表中：发送 /village 查看本村的村情卡。"

HELP = ("• 直接发问题：比如“小额信贷逾期率要求多少”“村党组书记要熟悉什么”，也可以只发关键词“逾期率”。"
        "每个回答都注明在方案中的出处。")


class QAChat:
    """The Q&A side of the dialog.

    Args:
        answerer: answers questions from the knowledge base.
        store: where questions are logged.
    """

    def __init__(self, answerer: Answerer, store: Store):
        self.answerer = answerer
        self.store = store

    def question(self, person: Person, text: str, channel: str) -> list[Reply]:
        """Answer a typed question (an answer with its source, "是不是想问" buttons, or an honest abstention)."""
        if len(text) > MAX_QUESTION_CHARS:
            self.store.log_question(person.id, text, None, None, True, "too_long", channel)
            return [Reply(f"消息太长了（{len(text)}个字）。请一次只问一个问题，最好在50个字以内，"
                          "比如“小额信贷逾期率要求多少”。")]
        match = self.answerer.match(text)
        best = match.best
        self.store.log_question(person.id, text, best.entry.id if best else None, best.score if best else None,
                                match.abstained, match.verdict.value, channel)
        replies = [self.answerer.reply(match)]
        if match.abstained and _OWN_VILLAGE.search(text):
            replies.append(Reply(OWN_VILLAGE_HINT))
        return replies

    def open_entry(self, person: Person, data: str, channel: str) -> list[Reply]:
        """Show the entry of a pressed ``kb:<entry id>`` button."""
        entry = self.answerer.kb.by_id.get(data[3:])
        if entry is None:
            return [Reply("这条内容已经不在知识库里了，请重新提问。")]
        self.store.log_question(person.id, f"[按钮] {entry.title}", entry.id, None, False, "button", channel)
        return [self.answerer.entry_reply(entry)]


def install(router: Router, answerer: Answerer) -> QAChat:
    """Make policy Q&A the router's answer to free text and register ``kb:`` buttons; return the feature."""
    chat = QAChat(answerer, router.store)
    router.fallback(chat.question)
    router.button("kb:", chat.open_entry, public=True)   # the suggestions under an answer work in groups too
    router.help_line(HELP, order=0)
    return chat
