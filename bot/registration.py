"""Registration: ``/start`` asks name → role → town → village; ``/start CODE`` redeems a roster invite.

The step lives in the store (``state.step``), so a restart resumes it. ``role:<id>`` buttons pick the role.
Starting practice or an interview abandons an unfinished registration (see :meth:`Registration.leave`).
"""

from __future__ import annotations

import re

from bot.kernel.messages import Button, Reply
from bot.kernel.roles import Role
from bot.kernel.router import Router
from bot.kernel.store import Person, Store
from bot.kernel.text import has_content
from bot.qa.answers import Answerer
from bot.qa.matcher import Verdict

_RE_TAG = re.compile(r"<[^<>]*>")

MAX_FIELD_CHARS = 30
#: words and marks that make typed text read as a question
_QUESTION_WORDS = re.compile(r"[？?]|多少|什么|怎么|哪|吗|呢|谁|几")
_FIELD_NAMES = {"name": "姓名", "town": "所在镇", "village": "所在村（或单位）"}


def role_from_text(text: str) -> Role | None:
    """Return the role named by ``text`` (its id, its label, a word cadres use for it, or two or more characters
    of one label only), else None."""
    exact = [r for r in Role if text == r.value or text == r.label]
    if exact:
        return exact[0]
    from bot.coordination.roster import (
        role_from_text as cadre_words,  # 村支书, 帮扶干部 …, as in the roster
    )

    known = cadre_words(text)
    if known is not None:
        return known
    partial = [r for r in Role if len(text) >= 2 and text in r.label]
    return partial[0] if len(partial) == 1 else None


class Registration:
    """Registration steps over one store.

    Args:
        router: the dialog router (for the ``/help`` text shown when registration ends).
        answerer: tells a policy question typed during registration from a name (the question is answered, and
            the waiting registration question asked again).
    """

    def __init__(self, router: Router, answerer: Answerer):
        self.router = router
        self.store: Store = router.store
        self.answerer = answerer

    def start(self, person: Person, arg: str) -> list[Reply]:
        """``/start``: begin registration; ``/start CODE`` binds this account to its roster row."""
        if arg:
            from bot.coordination.invites import redeem_reply_text

            return [Reply(redeem_reply_text(self.store, person, arg))]
        self.store.set_state(person.id, {"step": "name"})
        hello = "欢迎使用“熟悉”备考助手！" if not person.registered else "重新登记您的信息。"
        return [Reply(f"{hello}先登记一下，方便给您出对应角色的题。\n请输入您的姓名（发送 /cancel 可跳过）：")]

    def step(self, person: Person, text: str, channel: str) -> list[Reply] | None:
        """Take ``text`` as the answer to the current registration step; None when no registration is open."""
        state = self.store.get_state(person.id)
        step = state.get("step")
        if not step:
            return None
        if self._is_question(step, text):   # answered, and the waiting registration question asked again
            return self.router.answer(person, text, channel) + [self._prompt(step)]
        if step == "role":
            role = role_from_text(text)
            if role is None:
                return [self.role_prompt("请点下面的按钮选择角色：")]
            return self._after_role(person, state, role)
        # Markup alone (<b></b>) or emoji alone is no name: some letters must remain once tags are taken out.
        if not text or len(text) > MAX_FIELD_CHARS or not has_content(_RE_TAG.sub("", text)):
            return [Reply(f"请用文字输入{_FIELD_NAMES[step]}（{MAX_FIELD_CHARS}个字以内，不能只有表情或符号）。")]
        if step == "name":
            self.store.set_state(person.id, {"step": "role", "name": text})
            return [self.role_prompt(f"{text}，您好！请选择您的角色：")]
        if step == "town":
            self.store.set_state(person.id, {**state, "step": "village", "town": text})
            return [Reply("请输入您所在的村（镇、市直部门的同志填单位名称）：")]
        updated = self.store.register(person.id, state["name"], state["role"], state["town"], text)
        self.store.set_state(person.id, {})
        return [Reply(f"登记完成：{updated.name}，{Role(updated.role).label}，{updated.town} {updated.village}。\n\n"
                      f"{self.router.help_text}")]

    def _is_question(self, step: str, text: str) -> bool:
        """Is ``text``, typed while registration waits for ``step``, a policy question rather than the answer?
        Yes when it reads as a question (多少, 什么, ？ …); for the name (or an unrecognised role) also when the
        bot can answer it confidently, or it is longer than a name (12 characters) and matches the plan at all.
        Town and unit names (乡村振兴局) may match the plan, so there only the question words count."""
        if step == "role" and role_from_text(text) is not None:
            return False
        if len(text) >= 4 and _QUESTION_WORDS.search(text):
            return True
        if step in ("name", "role") and len(text) > 4:
            verdict = self.answerer.match(text).verdict
            return verdict is Verdict.answer or (len(text) > 12 and verdict is Verdict.unsure)
        return False

    def _prompt(self, step: str) -> Reply:
        """The registration question still waiting for an answer, asked again after a policy question."""
        if step == "role":
            return self.role_prompt("请继续登记：请选择您的角色：")
        what = {"name": "您的姓名（发送 /cancel 可跳过）", "town": "您所在的镇（市直部门的同志填“市直”）",
                "village": "您所在的村（镇、市直部门的同志填单位名称）"}[step]
        return Reply(f"请继续登记：请输入{what}：")

    def role_button(self, person: Person, data: str, channel: str) -> list[Reply]:
        """A ``role:<id>`` button pressed at the role step."""
        state = self.store.get_state(person.id)
        role = next((r for r in Role if r.value == data[5:]), None)
        if state.get("step") != "role" or role is None:
            return [Reply("这个登记按钮已经过期了。需要重新登记请发送 /start。")]
        return self._after_role(person, state, role)

    def role_prompt(self, text: str) -> Reply:
        """The role question with one button per role."""
        return Reply(text, buttons=[[Button(r.label, f"role:{r.value}")] for r in Role])

    def _after_role(self, person: Person, state: dict, role: Role) -> list[Reply]:
        self.store.set_state(person.id, {**state, "step": "town", "role": role.value})
        return [Reply(f"角色：{role.label}。\n请输入您所在的镇（市直部门的同志填“市直”）：")]

    def leave(self, person: Person) -> str | None:
        """Abandon an unfinished registration; return a note saying so, or None when none was open."""
        state = self.store.get_state(person.id)
        if not state.get("step"):
            return None
        self.store.set_state(person.id, {k: v for k, v in state.items() if k not in ("step", "name", "role", "town")})
        return "（登记没有完成，已退出；需要时再发送 /start。）"

    def cancel(self, person: Person) -> str | None:
        """``/cancel`` during registration: clear it and say so; None when none was open."""
        state = self.store.get_state(person.id)
        if not state:
            return None
        self.store.set_state(person.id, {})
        return "已取消登记。可以直接提问，或发送 /start 重新登记。" if state.get("step") else None


def install(router: Router, answerer: Answerer) -> Registration:
    """Register ``/start``, the registration steps and ``role:`` buttons with the router; return the feature."""
    registration = Registration(router, answerer)
    router.command("start", registration.start, help="• /start 登记姓名、角色、镇、村", order=80)
    router.state(registration.step)
    router.button("role:", registration.role_button)
    router.on_interrupt(registration.leave)
    router.on_cancel(registration.cancel)
    return registration
