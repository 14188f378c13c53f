"""Running the bot: long polling, or a webhook behind a reverse proxy; a start-up that survives a missing
network and says plainly when Telegram rejects the token — without ever printing it.

Webhook mode (``serve --webhook-url https://bot.example.org/shuxi --port 8443``): Telegram sends each update as
an HTTPS POST to the URL; the reverse proxy (nginx, Caddy …) terminates TLS and forwards to ``listen:port``
with the URL's path. Every request must carry the secret token Telegram was given in ``setWebhook``
(header ``X-Telegram-Bot-Api-Secret-Token``; python-telegram-bot's webhook server answers 403 to any other).
The secret is ``TELEGRAM_WEBHOOK_SECRET`` when set (1–256 of ``A-Z a-z 0-9 _ -``), else a new random one per
start (``setWebhook`` is called at every start, so Telegram always knows the current one).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.coordination import reminders as reminders_core
from bot.dialog import Dialog

from .app import build_application

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

#: longest pause between two start-up attempts, in seconds (the pauses double from 2 s up to this)
MAX_BACKOFF_S = 60.0
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TokenRejected(Exception):
    """Telegram does not accept the bot token. The message never contains the token."""


@dataclass(frozen=True)
class Webhook:
    """Where Telegram sends updates and where this process listens for them.

    Args:
        url: the public HTTPS URL (Telegram only posts to https), e.g. ``https://bot.example.org/shuxi``.
        port: the local port the reverse proxy forwards to.
        listen: the local address to listen on (default ``127.0.0.1``: only the proxy on this machine).
        secret: the secret token header value (see the module); None: ``TELEGRAM_WEBHOOK_SECRET`` or random.
    """

    url: str
    port: int
    listen: str = "127.0.0.1"
    secret: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"the webhook URL must be https://host/path, not {self.url!r}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"the port must be 1–65535, not {self.port}")
        if self.secret is not None and not _SECRET.fullmatch(self.secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1–256 characters of A-Z, a-z, 0-9, _ and -")

    @property
    def path(self) -> str:
        """The URL's path without the leading slash (what the proxy forwards to)."""
        return urlsplit(self.url).path.lstrip("/")

    def secret_token(self) -> str:
        """The secret token header value for this run (see the class)."""
        return self.secret or os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or secrets.token_urlsafe(32)


class RedactToken(logging.Filter):
    """Replaces the bot token wherever it appears in a log record (python-telegram-bot's messages may embed it)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and self.token in logging.Formatter().formatException(record.exc_info):
            record.msg = f"{record.msg} ({record.exc_info[0].__name__})"
            record.exc_info = record.exc_text = None
        return True


async def connect(app: Application, sleep: Sleep = asyncio.sleep) -> None:
    """Initialise ``app`` (its first Bot API call, ``getMe``, checks the token), retrying while Telegram cannot be
    reached: one warning line per failed attempt, pauses doubling from 2 s up to :data:`MAX_BACKOFF_S`.

    Args:
        app: the built application.
        sleep: the pause function (tests pass one that records).
    Raises:
        TokenRejected: Telegram rejected the token (its message does not contain the token).
    """
    attempt = 0
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise TokenRejected("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN); "
                                "check it with @BotFather.") from None
        except (NetworkError, RetryAfter) as exc:   # NetworkError includes TimedOut
            attempt += 1
            wait = min(MAX_BACKOFF_S, 2.0 ** attempt)
            reason = str(exc).replace(app.bot.token, "<token>")
            log.warning("cannot reach Telegram (attempt %d: %s); trying again in %.0f s", attempt, reason, wait)
            await sleep(wait)


def default_request() -> BaseRequest | None:
    """The request object for real use: None, i.e. python-telegram-bot's own HTTP client."""
    return None


def serve(token: str, dialog: Dialog, *, reminders: "reminders_core.Reminders | None" = None,
          coordinator_ids: Iterable[int] = (), webhook: Webhook | None = None, sleep: Sleep = asyncio.sleep,
          request: BaseRequest | None = None) -> None:
    """Run the bot until interrupted (SIGINT/SIGTERM): long polling, or a webhook server when ``webhook`` is
    given. The connection to Telegram is made first (:func:`connect`); the token never reaches a log line.

    Args:
        token: the bot token (from the environment).
        dialog: the dialog.
        reminders: the daily-reminder planner (None: none scheduled).
        coordinator_ids: coordinators' Telegram user ids (their command menu).
        webhook: where to receive updates; None for long polling.
        sleep: the pause between start-up attempts.
        request: the request object (tests pass an offline one); default :func:`default_request`.
    Raises:
        TokenRejected: Telegram rejected the token.
    """
    configure_logging(token)
    app = build_application(token, dialog, request if request is not None else default_request(),
                            reminders=reminders, coordinator_ids=coordinator_ids)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)   # run_polling/run_webhook below carry on in this loop, and close it
    try:
        try:
            loop.run_until_complete(connect(app, sleep))
        except BaseException:
            loop.run_until_complete(app.shutdown())
            loop.close()
            raise
        # bootstrap_retries=-1: should the network go away between getMe and the first getUpdates/setWebhook,
        # python-telegram-bot keeps retrying too.
        if webhook is None:
            app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
        else:
            app.run_webhook(listen=webhook.listen, port=webhook.port, url_path=webhook.path,
                            webhook_url=webhook.url, secret_token=webhook.secret_token(),
                            allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except KeyboardInterrupt:
        pass
    finally:
        asyncio.set_event_loop(None)


def configure_logging(token: str) -> None:
    """Log lines with time and level to standard error; no library logs the token (httpx's request lines carry
    it in the URL and stay at WARNING; every handler redacts it)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(RedactToken(token))

