"""Daily reminders: who gets one (not ready, reachable, not opted out, not yet today, in the window), the /remind
command, strict settings, and sending to many through the real Application against the offline fake Bot API —
a blocked person is marked unreachable while the others get theirs, flood control is waited out, a restart
neither loses nor repeats a reminder."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from telegram import Update
from telegram.error import BadRequest, TimedOut

from bot.adapters.telegram import (
    Outgoing,
    build_application,
    send_due_reminders,
    send_many,
)
from bot.cli import build_parser, main, make_dialog
from bot.coordination import invites, reminders, report_views, roster
from bot.coordination.readiness import InterviewRule, ReadinessRule
from bot.coordination.reminders import (
    QuietHours,
    ReminderConfig,
    Reminders,
    load_config,
)
from bot.coordination.reports import Scope, build_report
from bot.dialog import Dialog
from bot.kernel.store import Store
from bot.kernel.yamlfile import DataFileError

from .conftest import Chat
from .fake_bot_api import BOT_USER, FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "roster_people.csv"
LOCAL = timezone(timedelta(hours=8))
TODAY = datetime.now(LOCAL).date()
RULE = ReadinessRule(visit_date=TODAY + timedelta(days=10), min_answered=5, min_accuracy=0.8)
CONFIG = ReminderConfig(send_at="19:30", quiet_hours=QuietHours(start="22:00", end="08:00"), send_interval_s=0)
# PTB itself warns, when it builds a RetryAfter, that retry_after will become a timedelta (both are handled).
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

#: chat id → roster name of the Telegram people who are not ready and reachable
DUE = {201: "小_王", 202: "陈海燕", 203: "符文强", 204: "吴美兰"}


def at(hour: int, minute: int = 0, day=TODAY) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


def bind(store, name: str, key: str):
    entry = next(e for e in roster.entries(store) if e.name == name)
    invites.redeem_invite(store, store.person(key), entry.invite_code)
    return store.person(key)


def practise(store, kb, person, count: int, right: int) -> None:
    ids = [q.id for q in kb.questions if person.role in q.roles][:count]
    session = store.start_session(person.id, ids)
    for i in range(len(ids)):
        session = store.record_answer(session, "x", i < right)


def populate(store, kb) -> None:
    """嘉积镇 of the sample roster: one ready person, four not ready on Telegram, one on the terminal only, one
    who switched reminders off; the rest never started (no account: nobody to remind)."""
    roster.import_file(store, SAMPLE)
    practise(store, kb, bind(store, "<b>李&明", "tg:200"), 10, 10)
    practise(store, kb, bind(store, "小_王", "tg:201"), 6, 1)
    for chat_id in (202, 203, 204):
        bind(store, DUE[chat_id], f"tg:{chat_id}")
    bind(store, "王德福", "cli:wang")
    reminders.set_reminders_off(store, bind(store, "林晓丽", "tg:205").id, True)


@pytest.fixture
def planner(store, kb):
    populate(store, kb)
    return Reminders(store, kb, RULE, CONFIG, clock=lambda: at(20))


def status(store, chat_id: int) -> str | None:
    row = store.db.execute("select status from reminder_log rl join people p on p.id = rl.person_id "
                           "where p.key = ? and rl.on_date = ?", [f"tg:{chat_id}", TODAY.isoformat()]).fetchone()
    return row[0] if row else None


# --- who and what ------------------------------------------------------------------------------------------------

def test_not_ready_reachable_people_are_due_with_their_reasons(planner):
    due = planner.due()
    assert {r.chat_id: r.name for r in due} == DUE
    assert due[0].chat_id != 201, "least ready first: never practised before practised badly"
    wang = next(r for r in due if r.chat_id == 201)
    assert wang.on_date == TODAY and wang.key == "tg:201"
    assert wang.text.startswith("小_王，您好！")
    assert "距省后评估组进驻" in wang.text and "还有 10 天" in wang.text
    assert "正确率 17%" in wang.text and "/remind off" in wang.text
    assert "下一步：发送 /practice 复习答错的题" in wang.text, "the reminder names the one next step"
    assert "还没有做过练习" in next(r for r in due if r.chat_id == 202).text


def test_the_window_send_time_quiet_hours_and_visit_date(planner, store, kb):
    assert planner.due(at(10)) == [] and "before today's send time" in planner.closed_because(at(10))
    assert planner.due(at(23)) == [] and "quiet hours" in planner.closed_because(at(23))
    assert planner.closed_because(at(19, 30)) is None and planner.closed_because(at(21, 59)) is None
    visit = RULE.visit_date
    assert len(planner.due(at(20, day=visit))) == 4, "still reminded on the visit date itself"
    assert planner.due(at(20, day=visit + timedelta(days=1))) == []
    assert "has passed" in planner.closed_because(at(20, day=visit + timedelta(days=1)))
    midday_quiet = ReminderConfig(send_at="08:00", quiet_hours=QuietHours(start="12:00", end="14:00"))
    assert "quiet hours" in Reminders(store, kb, RULE, midday_quiet).closed_because(at(13))
    off = Reminders(store, kb, RULE, ReminderConfig(enabled=False))
    assert off.due(at(20)) == [] and "switched off" in off.closed_because(at(20))


def test_no_second_reminder_the_same_day_and_none_to_the_unreachable(planner, store):
    wang = store.person("tg:201")
    assert reminders.claim(store, wang.id, TODAY) and not reminders.claim(store, wang.id, TODAY)
    reminders.mark_unreachable(store, store.person("tg:202").id)
    assert {r.chat_id for r in planner.due()} == {203, 204}
    assert reminders.mark_reachable(store, "tg:202") and not reminders.mark_reachable(store, "tg:202")
    assert {r.chat_id for r in planner.due()} == {202, 203, 204}
    # Tomorrow is another day.
    assert {r.chat_id for r in planner.due(at(20, day=TODAY + timedelta(days=1)))} == set(DUE)


def test_remind_command_switches_reminders_off_and_on(dialog, store, kb):
    populate(store, kb)
    planner = reminders.install(dialog, RULE, CONFIG, clock=lambda: at(20))
    chat = Chat(dialog, "tg:201")
    assert "已开启" in chat.say("/remind")[0].text and "19:30" in chat.text
    assert "已关闭" in chat.say("/remind off")[0].text
    assert 201 not in {r.chat_id for r in planner.due()}
    assert "您已关闭" in chat.say("/remind")[0].text
    assert "已开启" in chat.say("/remind 开")[0].text
    assert 201 in {r.chat_id for r in planner.due()}
    assert "用法" in chat.say("/remind sometimes")[0].text
    late = Reminders(store, kb, RULE, CONFIG, clock=lambda: at(20, day=RULE.visit_date + timedelta(days=1)))
    assert "已过，不再发送" in late.command(store.person("tg:201"), "")[0].text


def test_make_dialog_installs_remind_and_hands_out_the_planner(tmp_path):
    args = build_parser().parse_args(["--db", str(tmp_path / "x.db"), "chat"])
    services: dict = {}
    dialog = make_dialog(args, services)
    assert "remind" in dialog.commands and "report" in dialog.commands
    assert isinstance(services["reminders"], Reminders) and services["coordinators"].dialog is dialog


def test_a_reminder_names_the_interview_when_it_is_the_one_thing_missing(store, kb):
    populate(store, kb)
    with_interview = RULE.model_copy(update={"interview": InterviewRule(min_score=80)})
    practise(store, kb, store.person("tg:202"), 10, 10)   # practised well, never took a mock interview
    due = {r.chat_id: r for r in Reminders(store, kb, with_interview, CONFIG, clock=lambda: at(20)).due()}
    assert "还没有做过模拟访谈" in due[202].text
    assert "下一步：发送 /interview 做一次模拟访谈" in due[202].text
    assert "下一步：发送 /practice" in due[203].text   # never practised: practice comes first


def test_visitdate_reaches_the_reminder_planner_and_me_without_a_restart(monkeypatch, tmp_path):
    rule_file = tmp_path / "readiness.yaml"
    rule_file.write_text((ROOT / "config" / "readiness.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("SHUXI_READINESS", str(rule_file))
    monkeypatch.setenv("SHUXI_COORDINATORS", "cli:boss=city")
    services: dict = {}
    dialog = make_dialog(build_parser().parse_args(["--db", str(tmp_path / "x.db"), "chat"]), services)
    planner = services["reminders"]
    assert planner.rule.visit_date is None
    boss = Chat(dialog, "cli:boss")
    assert "已设定" in boss.say(f"/visitdate {TODAY + timedelta(days=3)}")[0].text
    assert planner.rule.visit_date == TODAY + timedelta(days=3)
    assert "visit_date: " + (TODAY + timedelta(days=3)).isoformat() in rule_file.read_text(encoding="utf-8")
    assert planner.closed_because(at(20, day=TODAY + timedelta(days=4))) == \
        f"the visit date {TODAY + timedelta(days=3)} has passed"
    # the command line sets it from another process: the running bot reads the changed file at its next use
    assert main(["visit-date", (TODAY + timedelta(days=9)).isoformat()]) == 0
    assert planner.rule.visit_date == TODAY + timedelta(days=9)
    assert services["coordinators"].rule.visit_date == TODAY + timedelta(days=9)


def test_serve_hands_the_planner_and_coordinator_ids_to_telegram(monkeypatch, tmp_path):
    captured: dict = {}
    monkeypatch.setattr("bot.adapters.telegram.serve",
                        lambda token, dialog, **kwargs: captured.update(kwargs, dialog=dialog))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("SHUXI_COORDINATORS", "tg:77=city;cli:jiaji=town:嘉积镇;tg:78=town:博鳌镇")
    assert main(["--db", str(tmp_path / "x.db"), "serve"]) == 0
    assert sorted(captured["coordinator_ids"]) == [77, 78] and isinstance(captured["reminders"], Reminders)
    assert "remind" in captured["dialog"].commands


# --- settings ----------------------------------------------------------------------------------------------------

def test_settings_are_strict(tmp_path, monkeypatch):
    assert load_config(ROOT / "config" / "reminders.yaml").send_at == "19:30"
    bad = tmp_path / "r.yaml"
    bad.write_text("send_at: 19:30\nquite_hours: {start: '22:00', end: '08:00'}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_config(bad)
    text = str(err.value)
    assert 'put it in quotes: "19:30"' in text and "unknown key 'quite_hours'" in text
    bad.write_text("send_at: '23:00'\nquiet_hours: {start: '22:00', end: '08:00'}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="inside the quiet hours"):
        load_config(bad)
    bad.write_text("send_at: '25:00'\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="send_at"):
        load_config(bad)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.yaml")
    monkeypatch.setattr(reminders, "DEFAULT_REMINDERS", tmp_path / "absent.yaml")
    monkeypatch.delenv("SHUXI_REMINDERS", raising=False)
    assert load_config() == ReminderConfig()


# --- Telegram: scheduling, sending to many -----------------------------------------------------------------------

class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def start_app(dialog, planner, coordinator_ids=()):
    api = FakeBotAPI()
    app = build_application("123456:TEST-TOKEN", dialog, request=api, reminders=planner,
                            coordinator_ids=coordinator_ids)

    async def init():
        await app.initialize()
        await app.post_init(app)

    asyncio.run(init())
    return app, api


def run(app, now=None):
    sleeps = Sleeps()
    summary = asyncio.run(send_due_reminders(app, now or at(20), sleep=sleeps))
    return summary, sleeps


def sent_to(api) -> list[int]:
    return [p["chat_id"] for p in api.sent()]


def test_a_blocked_person_is_marked_unreachable_the_others_get_theirs_and_flood_control_is_waited_out(
        dialog, planner, store, kb):
    app, api = start_app(dialog, planner)
    api.blocked.add(203)
    api.flood_once[204] = 3
    summary, sleeps = run(app)
    assert sorted(sent_to(api)) == [201, 202, 204]
    assert [item.chat_id for item in summary.unreachable] == [203] and not summary.postponed
    assert 3 in sleeps and summary.waited_s == 3
    assert sorted((m, p["chat_id"], code) for m, p, code in api.refused) == [("sendMessage", 203, 403),
                                                                             ("sendMessage", 204, 429)]
    assert {c: status(store, c) for c in DUE} == {201: "sent", 202: "sent", 203: "unreachable", 204: "sent"}
    # The reports show who could not be reached.
    report = build_report(store, kb, RULE, Scope("嘉积镇"))
    assert [p.name for p in report.people if p.unreachable] == ["符文强"]
    assert "无法联系 1" in report_views.render_report_text(report)
    person = [p for p in report.people if p.name == "符文强"]
    assert "无法联系（已屏蔽机器人）" in report_views.render_person_text(person, store, kb, RULE)
    # A second run the same day sends nothing.
    summary, _ = run(app, at(21))
    assert sent_to(api) == [] and not summary.sent


def test_names_are_sent_literally_as_html(dialog, store, kb):
    roster.import_file(store, SAMPLE)
    bind(store, "<b>李&明", "tg:200")
    app, api = start_app(dialog, Reminders(store, kb, RULE, CONFIG))
    run(app)
    [message] = api.sent()
    assert message["text"].startswith("&lt;b&gt;李&amp;明，您好") and message["parse_mode"] == "HTML"


def test_a_restart_loses_none_and_sends_none_twice(kb, tmp_path):
    path = tmp_path / "shuxi.db"
    store = Store(path)
    populate(store, kb)
    # The previous process sent to 201, was in the middle of sending to 202, and then died.
    reminders.claim(store, store.person("tg:201").id, TODAY)
    reminders.finish(store, store.person("tg:201").id, TODAY, "sent")
    reminders.claim(store, store.person("tg:202").id, TODAY)
    store.db.conn.close()

    store = Store(path)   # the restart: everything is read back from the database
    dialog = Dialog(kb, store)
    app, api = start_app(dialog, reminders.install(dialog, RULE, CONFIG, clock=lambda: at(20)))
    assert {job.name for job in app.job_queue.jobs()} == {"reminders-daily", "reminders-startup"}
    run(app)
    assert sorted(sent_to(api)) == [203, 204], "201 already had today's; 202's claim is never repeated"
    run(app)
    assert sent_to(api) == []


def test_a_message_still_refused_after_the_last_attempt_is_left_for_a_later_run(dialog, store, kb):
    populate(store, kb)
    config = CONFIG.model_copy(update={"max_attempts": 1})
    app, api = start_app(dialog, Reminders(store, kb, RULE, config))
    api.flood_once[201] = 5
    summary, _ = run(app)
    assert [i.chat_id for i in summary.postponed] == [201] and status(store, 201) is None
    assert sorted(sent_to(api)) == [202, 203, 204]
    assert "reminders-retry" in {job.name for job in app.job_queue.jobs()}
    summary, _ = run(app)
    assert sent_to(api) == [201] and status(store, 201) == "sent"


def test_daily_job_at_send_time_and_none_when_disabled(dialog, store, kb):
    app, _ = start_app(dialog, Reminders(store, kb, RULE, CONFIG))
    daily = next(job for job in app.job_queue.jobs() if job.name == "reminders-daily")
    trigger = daily.job.trigger
    assert "hour='19'" in str(trigger) and "minute='30'" in str(trigger)
    assert trigger.timezone.utcoffset(None) == timedelta(hours=8)
    app, _ = start_app(dialog, Reminders(store, kb, RULE, ReminderConfig(enabled=False)))
    assert app.job_queue.jobs() == ()
    app, _ = start_app(dialog, None)
    assert app.job_queue.jobs() == () and asyncio.run(send_due_reminders(app)).sent == []


def test_command_menus(dialog):
    _, api = start_app(dialog, None, coordinator_ids=[4242])
    menus = [p for m, p in api.calls if m == "setMyCommands"]
    public = [c["command"] for c in menus[0]["commands"]]
    assert public[:4] == ["start", "practice", "interview", "village"] and "remind" in public and "report" not in public
    assert "scope" not in menus[0]
    coordinator = menus[1]
    assert coordinator["scope"]["type"] == "chat" and coordinator["scope"]["chat_id"] == 4242
    assert {"report", "unprepared", "person", "export", "chart", "unanswered", "remind"} <= \
        {c["command"] for c in coordinator["commands"]}
    assert all(1 <= len(c["description"]) <= 256 for m in menus for c in m["commands"])


def test_blocking_and_writing_again_update_the_contact_status(dialog, planner, store):
    app, api = start_app(dialog, planner)
    user = {"id": 201, "is_bot": False, "first_name": "小_王"}

    def process(payload, n):
        asyncio.run(app.process_update(Update.de_json({"update_id": n, **payload}, app.bot)))

    def member(status):
        return {"chat": {"id": 201, "type": "private"}, "from": user, "date": 0,
                "old_chat_member": {"user": BOT_USER, "status": "member"},
                "new_chat_member": {"user": BOT_USER, "status": status, **({"until_date": 0} if status == "kicked" else {})}}

    process({"my_chat_member": member("kicked")}, 1)
    assert 201 not in {r.chat_id for r in planner.due()}
    assert [p.name for p in build_report(store, planner.kb, RULE, Scope("嘉积镇")).people if p.unreachable] == ["小_王"]
    process({"my_chat_member": member("member")}, 2)
    assert 201 in {r.chat_id for r in planner.due()}
    reminders.mark_unreachable(store, store.person("tg:201").id)
    process({"message": {"message_id": 5, "date": 0, "chat": {"id": 201, "type": "private"}, "from": user,
                         "text": "逾期率"}}, 3)
    assert "0.5%" in api.sent()[0]["text"], "the conversation handlers still run"
    assert 201 in {r.chat_id for r in planner.due()}


class StubBot:
    """Raises the queued errors for a chat, then succeeds."""

    def __init__(self, errors):
        self.errors = errors
        self.sent = []

    async def send_message(self, chat_id, text, parse_mode=None):
        queue = self.errors.get(chat_id, [])
        if queue:
            raise queue.pop(0)
        self.sent.append(chat_id)


def test_send_many_retries_network_errors_and_gives_up_on_bad_requests():
    bot = StubBot({1: [TimedOut(), TimedOut()], 2: [BadRequest("Chat not found")]})
    sleeps = Sleeps()
    outcomes = []
    summary = asyncio.run(send_many(bot, [Outgoing(1, "a"), Outgoing(2, "b"), Outgoing(3, "c")],
                                    after=lambda item, outcome, error: outcomes.append((item.chat_id, outcome)),
                                    interval_s=0.04, sleep=sleeps))
    assert bot.sent == [1, 3] and outcomes == [(1, "sent"), (2, "failed"), (3, "sent")]
    assert sleeps.count(0.04) == 3 and [s for s in sleeps if s != 0.04] == [2.0, 4.0]
    assert [i.chat_id for i in summary.failed] == [2]


def test_the_started_application_runs_the_catch_up_job_by_itself(dialog, store, kb):
    populate(store, kb)
    config = CONFIG.model_copy(update={"startup_delay_s": 0.1})
    api = FakeBotAPI()
    app = build_application("123456:TEST-TOKEN", dialog, request=api,
                            reminders=Reminders(store, kb, RULE, config, clock=lambda: at(20)))

    async def life():
        await app.initialize()
        await app.post_init(app)
        await app.start()   # starts the JobQueue (no polling: the updater is not started)
        for _ in range(100):
            await asyncio.sleep(0.05)
            if all(status(store, c) for c in DUE):
                break
        await app.stop()
        await app.shutdown()

    asyncio.run(life())
    assert {c: status(store, c) for c in DUE} == {201: "sent", 202: "sent", 203: "sent", 204: "sent"}


def test_a_visit_date_already_past_is_refused_in_the_chat(kb, tmp_path, monkeypatch):
    """A past visit date would silently stop every reminder: /visitdate refuses it and says why; 2026年12月25日 is
    read as a date."""
    from bot.coordination import coordinators
    from bot.coordination.readiness import load_rule
    from bot.kernel import clock
    from bot.kernel.scope import Scope

    rule_file = tmp_path / "readiness.yaml"
    rule_file.write_text((Path(__file__).resolve().parents[1] / "config" / "readiness.yaml").read_text("utf-8"),
                         encoding="utf-8")
    monkeypatch.setenv("SHUXI_READINESS", str(rule_file))
    clock.set_today("2026-12-02")
    try:
        dialog = Dialog(kb, Store(":memory:"))
        coordinators.install(dialog, {"cli:boss": Scope(None)}, load_rule())
        boss = Chat(dialog, "cli:boss")
        assert "已经过去了" in boss.say("/visitdate 2020-01-01")[0].text
        assert "已设定评估组进驻日期：2026-12-25" in boss.say("/visitdate 2026年12月25日")[0].text
    finally:
        clock.set_today(None)
