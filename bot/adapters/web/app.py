"""The web channel's ASGI app (Starlette): pages for cadres (chat, /me) and coordinators (report, chart, .xlsx,
unanswered questions), over the same :class:`bot.dialog.Dialog` and coordination library as the other channels.

Every page is rendered on the server from Jinja2 templates with autoescaping; the only style sheet is served from
``/static``. Each browser holds one signed, HttpOnly, SameSite=Lax cookie (Starlette's ``SessionMiddleware``,
signed with itsdangerous) carrying a random session id, whose row in ``web_sessions`` says who it is, and a CSRF
token that every form posts back. Coordinator pages check the scope on every request: a town, person, file or
chart outside it is answered exactly like one that does not exist (404).

Why this module is long: it is the one table of routes — each a short handler that checks the session, calls the
library and renders a template — and splitting it would scatter the scope checks that must sit beside each route.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.adapters.web import chatlog, signin
from bot.coordination import report_views, reports
from bot.coordination.coordinators import CoordinatorCommands
from bot.dialog import Dialog
from bot.kernel.messages import MAX_BUTTON_DATA_BYTES, Incoming

HERE = Path(__file__).resolve().parent
#: Longest form post read (bytes); a longer one is refused with 413 before it is parsed.
MAX_FORM_BYTES = 16_384
#: Longest text read from the chat box (characters); the dialog itself refuses questions over 300.
MAX_TEXT_CHARS = 4000
#: People listed per page of the not-ready list.
PAGE_PEOPLE = 50
#: Session cookie lifetime (seconds): until well after the assessment.
COOKIE_MAX_AGE = 120 * 24 * 3600
#: pyplot is not thread-safe: one chart at a time.
_CHART_LOCK = threading.Lock()

#: Summary columns shown after the name, the verdict first so a phone shows it without scrolling:
#: 名册, 合格, 未合格, 已开始, 近期练习, 未核实, 无法联系 (indices into report_views.SUMMARY_COLUMNS).
_NUMBER_ORDER = (3, 7, 8, 5, 6, 4, 9)
#: Shortcut buttons under the chat box: (label, command).
SHORTCUTS = (("按角色练习", "/practice"), ("模拟访谈", "/interview"), ("村情卡", "/village"), ("帮助", "/help"),
             ("结束练习", "/cancel"))


@dataclass
class WebConfig:
    """Settings of one web app: the cookie ``secret`` (from $SHUXI_WEB_SECRET in production), ``https_only``
    (cookie sent over HTTPS only; set behind a TLS proxy), and the code ``limiter``."""

    secret: str
    https_only: bool = False
    limiter: signin.AttemptLimiter | None = None


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.globals["shortcuts"] = SHORTCUTS
    return env


def create_app(dialog: Dialog, coordinators: CoordinatorCommands, config: WebConfig) -> Starlette:
    """Build the web app over ``dialog`` (its store and knowledge base) and the coordinator commands (who is a
    coordinator, the readiness rule, the clock).

    Args:
        dialog: the dialog every channel uses (:func:`bot.cli.make_dialog`).
        coordinators: from ``make_dialog``'s services (``services["coordinators"]``).
        config: the cookie secret and options.
    Returns:
        the ASGI app. Routes: ``/`` · ``/i/CODE`` (invite) · ``/c/CODE`` (coordinator sign-in) · ``/chat`` ·
        ``/me`` · ``/f/ID`` (a file the bot sent) · ``/logout`` · ``/report`` (``?town=&sort=&dir=&page=``) ·
        ``/report/person/REF`` · ``/report/chart.png`` · ``/report/export.xlsx`` · ``/report/unanswered`` ·
        ``/static/…``.
    """
    store = dialog.store
    # In WAL mode a commit survives a crash of this process without waiting for the disk; only a power cut may
    # lose the last moments. Without this each answer waits for several fsyncs, and the page with it.
    store.db.execute("PRAGMA synchronous=NORMAL")
    signin.ensure_schema(store)
    chatlog.ensure_schema(store)
    env = _templates()
    limiter = config.limiter or signin.AttemptLimiter()

    # --- helpers -------------------------------------------------------------------------------------------
    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str) or len(token) < 20:
            token = secrets.token_urlsafe(24)
            request.session["csrf"] = token
        return token

    def current(request: Request) -> signin.WebSession | None:
        return signin.session(store, request.session.get("sid"))

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        ws = request.state.web_session if "web_session" in request.state._state else current(request)
        scope = coordinators.scope_of(ws.person) if ws else None
        html = env.get_template(template).render(csrf=csrf_token(request), me=ws, coordinator_scope=scope,
                                                 **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def message(request: Request, text: str, status: int, title: str = "熟悉") -> HTMLResponse:
        return page(request, "message.html", status=status, title=title, text=text)

    async def form(request: Request) -> dict[str, str]:
        """The posted form, checked: size, CSRF token. Raises HTTPException 413 / 403."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413)
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        expected = request.session.get("csrf")
        sent = fields.get("csrf", "")
        if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
            raise HTTPException(403)
        return fields

    def signed_in(request: Request) -> signin.WebSession:
        ws = current(request)
        if ws is None:
            raise HTTPException(401)
        request.state.web_session = ws   # read once per request
        return ws

    def address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def start_session(request: Request, ws: signin.WebSession) -> None:
        request.session.clear()
        request.session["sid"] = ws.id
        request.session["csrf"] = secrets.token_urlsafe(24)

    # --- sign-in -------------------------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        if current(request) is not None:
            return RedirectResponse("/chat", status_code=303)
        return page(request, "home.html")

    async def sign_in(request: Request, redeem, confirm, landing: str) -> Response:
        """One sign-in link: GET shows ``confirm()`` (None: refused), POST runs ``redeem()`` (None: refused) and
        opens ``landing``. Unknown and used codes get one refusal, and each counts against the address."""
        if limiter.blocked(address(request)):
            return message(request, "尝试次数太多，请过 15 分钟再试。", 429)
        if request.method == "POST":
            await form(request)
            ws = redeem()
            if ws is not None:
                start_session(request, ws)
                return RedirectResponse(landing, status_code=303)
        else:
            shown = confirm()
            if shown is not None:
                return shown
        limiter.failed(address(request))
        return message(request, signin.REFUSAL, 404, "链接无效")

    async def invite(request: Request) -> Response:
        code = request.path_params["code"]

        def confirm() -> Response | None:
            entry = signin.invite_entry(store, code)
            return page(request, "invite.html", entry=entry, action=f"/i/{quote(code)}") if entry else None

        return await sign_in(request, lambda: signin.redeem_web_invite(store, code), confirm, "/chat")

    async def coordinator_signin(request: Request) -> Response:
        code = request.path_params["code"]

        def confirm() -> Response | None:
            valid = store.db.execute("select 1 from web_coordinator_codes where code = ? and used_at is null",
                                     [code]).fetchone()
            return page(request, "coordinator_signin.html", action=f"/c/{quote(code)}") if valid else None

        return await sign_in(request, lambda: signin.redeem_coordinator_code(store, code, coordinators.coordinators),
                             confirm, "/report")

    async def logout(request: Request) -> Response:
        await form(request)
        signin.end_session(store, request.session.get("sid"))
        request.session.clear()
        return message(request, "已退出。这部手机上的登录已结束；要再使用，请联系镇里的协调员发送新的链接。", 200, "已退出")

    # --- cadres --------------------------------------------------------------------------------------------
    async def chat(request: Request) -> Response:
        ws = signed_in(request)
        if request.method == "POST":
            fields = await form(request)
            button, text = fields.get("button"), fields.get("text")
            if button:
                if not button.isascii() or len(button.encode()) > MAX_BUTTON_DATA_BYTES:
                    return RedirectResponse("/chat", status_code=303)
                msg = Incoming(ws.person.key, button=button, channel="web")
                said = _clip(fields.get("label") or "（按钮）", 60)
            else:
                text = (text or "")[:MAX_TEXT_CHARS]
                if not text.strip():
                    return RedirectResponse("/chat", status_code=303)
                msg = Incoming(ws.person.key, text=text, channel="web")
                said = text
            replies = dialog.handle(msg)
            chatlog.record(store, ws.person.id, said, replies)
            return RedirectResponse("/chat#end", status_code=303)
        log = chatlog.entries(store, ws.person.id)
        last_batch = log[-1].batch if log else None
        return page(request, "chat.html", log=log, last_batch=last_batch, title="聊天")

    async def me(request: Request) -> Response:
        ws = signed_in(request)
        progress = dialog.handle(Incoming(ws.person.key, text="/me", channel="web"))
        readiness = None
        person = ws.person
        if person.town:
            report = build(reports.Scope(person.town), with_unanswered=False)
            readiness = next((p for p in report.people if p.person_id == person.id), None)
        return page(request, "me.html", progress=progress, readiness=readiness, title="我的进度",
                    rule=coordinators.rule.describe())

    async def sent_file(request: Request) -> Response:
        ws = signed_in(request)
        found = chatlog.file(store, ws.person.id, request.path_params["fid"])
        if found is None:
            raise HTTPException(404)
        return _file_response(*found)

    # --- coordinators --------------------------------------------------------------------------------------
    def build(scope: reports.Scope, with_unanswered: bool = True) -> reports.Report:
        now = coordinators.clock() if coordinators.clock else None
        return reports.build_report(store, dialog.kb, coordinators.rule, scope, now, with_unanswered)

    def coordinator_scope(request: Request) -> tuple[signin.WebSession, reports.Scope]:
        """The scope a coordinator page shows: the coordinator's, or one of its towns (``?town=``). 404 for a
        non-coordinator (as if the page did not exist), and for a town outside the scope or without members."""
        ws = signed_in(request)
        own = coordinators.scope_of(ws.person)
        if own is None:
            raise HTTPException(404)
        town = request.query_params.get("town")
        if not town:
            return ws, own
        if own.town is not None:
            if town != own.town:
                raise HTTPException(404)
            return ws, own
        known = store.db.execute("select 1 from roster where town = ? union all select 1 from people "
                                 "where registered = 1 and town = ? limit 1", [town, town]).fetchone()
        if known is None:
            raise HTTPException(404)
        return ws, reports.Scope(town)

    async def report_page(request: Request) -> Response:
        ws, scope = coordinator_scope(request)
        report = build(scope, with_unanswered=False)
        summary = report_views.summary_rows(report)
        sort, desc = _sort_params(request, len(report_views.SUMMARY_COLUMNS))
        if sort is not None:   # sorted: the role rows only, without the total lines
            summary = sorted((r for r in summary if r[1] != "合计" and r[2] != "合计"),
                             key=lambda r: _sort_key(r[sort]), reverse=desc)
        unready = report.unprepared()
        usort, udesc = _sort_params(request, len(report_views.UNPREPARED_COLUMNS), prefix="u")
        pages = max(1, -(-len(unready) // PAGE_PEOPLE))
        page_no = min(max(1, _int(request.query_params.get("page"), 1)), pages)
        if usort is None:
            shown = unready[(page_no - 1) * PAGE_PEOPLE: page_no * PAGE_PEOPLE]
            rows = report_views.unprepared_rows(_with_people(report, shown), store, dialog.kb)
            pairs = list(zip(shown, rows))
        else:
            rows = report_views.unprepared_rows(report, store, dialog.kb)
            pairs = sorted(zip(unready, rows), key=lambda pr: _sort_key(pr[1][usort]), reverse=udesc)
            pairs = pairs[(page_no - 1) * PAGE_PEOPLE: page_no * PAGE_PEOPLE]
        total = report_views.Tally()
        for p in report.people:
            total.add(p)
        towns = sorted({p.town for p in report.people}) if scope.town is None else []
        return page(request, "report.html", title=f"备考情况 · {scope.label}", report=report, scope=scope,
                    summary=summary, columns=report_views.SUMMARY_COLUMNS, number_order=_NUMBER_ORDER, sort=sort, desc=desc, pairs=pairs,
                    ucolumns=report_views.UNPREPARED_COLUMNS, usort=usort, udesc=udesc, page_no=page_no, pages=pages,
                    unready_count=len(unready), total=total.line(report.rule.practised_days), towns=towns,
                    town_param=request.query_params.get("town") or "", ref=_ref)

    async def person_page(request: Request) -> Response:
        ws, scope = coordinator_scope(request)
        ref = request.path_params["ref"]
        report = build(scope, with_unanswered=False)
        found = next((p for p in report.people if _ref(p) == ref), None)
        if found is None:
            raise HTTPException(404)
        weak = reports.weak_indicators(store, dialog.kb, [found.person_id] if found.person_id else [])
        return page(request, "person.html", title=found.name, p=found, weak=weak.get(found.person_id, [])[:5],
                    last_answer=report_views._local(found.last_answer_at), last_activity=report_views._local(found.last_activity_at),
                    rule=coordinators.rule.describe(), scope=scope)

    async def chart_png(request: Request) -> Response:
        ws, scope = coordinator_scope(request)
        report = build(scope, with_unanswered=False)

        def draw() -> bytes:
            from bot.coordination.charts import readiness_chart

            with _CHART_LOCK:
                return readiness_chart(report).png
        png = await run_in_threadpool(draw)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    async def export_xlsx(request: Request) -> Response:
        ws, scope = coordinator_scope(request)
        report = build(scope)
        data = report_views.to_xlsx(report, store, dialog.kb)
        name = f"备考情况-{scope.label}-{report.today.isoformat()}.xlsx"
        return _file_response(name, "document", data)

    async def unanswered_page(request: Request) -> Response:
        ws, scope = coordinator_scope(request)
        report = build(scope)
        return page(request, "unanswered.html", title=f"没答好的问题 · {scope.label}", scope=scope,
                    rows=report_views.unanswered_rows(report)[:200], more=max(0, len(report.unanswered) - 200),
                    town_param=request.query_params.get("town") or "")

    # --- errors --------------------------------------------------------------------------------------------
    async def http_error(request: Request, exc: HTTPException) -> Response:
        texts = {401: "请先用协调员发给您的邀请链接打开。", 403: "页面已过期，请返回刷新后再试。",
                 404: "没有这个页面。", 405: "没有这个页面。", 413: "内容太长了，请分几次发送。"}
        if exc.status_code == 401:
            return RedirectResponse("/", status_code=303)
        return message(request, texts.get(exc.status_code, "出错了，请稍后再试。"), exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return HTMLResponse("<!doctype html><meta charset=utf-8><p>出错了，请稍后再试。</p>", status_code=500)

    routes = [
        Route("/", home),
        Route("/i/{code}", invite, methods=["GET", "POST"]),
        Route("/c/{code}", coordinator_signin, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/chat", chat, methods=["GET", "POST"]),
        Route("/me", me),
        Route("/f/{fid}", sent_file),
        Route("/report", report_page),
        Route("/report/person/{ref}", person_page),
        Route("/report/chart.png", chart_png),
        Route("/report/export.xlsx", export_xlsx),
        Route("/report/unanswered", unanswered_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders), Middleware(SessionMiddleware, secret_key=config.secret, session_cookie="shuxi",
                             max_age=COOKIE_MAX_AGE, same_site="lax", https_only=config.https_only)]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: http_error, Exception: server_error})


#: Sent with every response: nothing but Shuxi's own page, style sheet and images; no framing.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS
                                                                          if h[0] not in names]
            await send(message)
        await self.app(scope, receive, send_with_headers)


def _ref(p: reports.PersonStatus) -> str:
    """A person's reference in coordinator URLs: ``r<roster id>`` for roster rows, ``p<person id>`` otherwise."""
    return f"r{p.roster_id}" if p.roster_id is not None else f"p{p.person_id}"


def _with_people(report: reports.Report, people: list[reports.PersonStatus]) -> reports.Report:
    """A copy of ``report`` whose members are ``people`` in that order (all not ready), to build their rows."""
    return reports.Report(report.scope, report.rule, report.today, report.generated_at, people)


def _int(text: str | None, default: int) -> int:
    text = unicodedata.normalize("NFKC", text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else default


def _sort_params(request: Request, columns: int, prefix: str = "") -> tuple[int | None, bool]:
    """``?sort=N&dir=desc`` (or ``usort``/``udir``): a column index within ``columns`` and whether descending."""
    n = _int(request.query_params.get(f"{prefix}sort"), -1)
    return (n if 0 <= n < columns else None), request.query_params.get(f"{prefix}dir") == "desc"


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _file_response(filename: str, kind: str, data: bytes) -> Response:
    media = {"photo": "image/png"}.get(kind) or (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if filename.endswith(".xlsx")
        else "application/octet-stream")
    disposition = "inline" if kind == "photo" else "attachment"
    safe = Path(filename).name or "file"
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in ".-_" else "_" for c in safe)
    headers = {"Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe)}",
               "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=media, headers=headers)
