"""The web channel: cadres practise in any phone browser (WeChat's too), coordinators read their reports as pages.

A thin adapter like the terminal and Telegram ones: a request becomes an :class:`bot.kernel.messages.Incoming`
(``channel="web"``) for the same :class:`bot.dialog.Dialog`, and its replies become HTML (buttons as small POST
forms, attachments as download links or inline images). See :mod:`bot.adapters.web.app` (routes, cookie, CSRF)
and :mod:`bot.adapters.web.signin` (invite links, coordinator codes, sessions, attempt limits).
"""

from __future__ import annotations

import os
import secrets
import sys

from bot.adapters.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app", "config_from_env", "run"]


def config_from_env(env: dict[str, str] | None = None) -> WebConfig:
    """Settings from the environment: $SHUXI_WEB_SECRET (the cookie signing key, at least 32 characters; never
    logged) and $SHUXI_WEB_HTTPS=1 (cookie over HTTPS only). Without a secret a random one is made for this run,
    so every browser is signed out when the server restarts (fine on a laptop, not in production)."""
    env = os.environ if env is None else env
    secret = env.get("SHUXI_WEB_SECRET", "").strip()
    if secret and len(secret) < 32:
        raise ValueError("SHUXI_WEB_SECRET must be at least 32 characters")
    if not secret:
        print("SHUXI_WEB_SECRET is not set: a random cookie key is used, and every browser is signed out when "
              "the server restarts.", file=sys.stderr)
        secret = secrets.token_urlsafe(32)
    return WebConfig(secret=secret, https_only=env.get("SHUXI_WEB_HTTPS", "") == "1")


def run(app, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve ``app`` with uvicorn until interrupted (one process: the dialog's SQLite connection is not shared
    across processes or threads)."""
    import uvicorn

    # The sign-in attempt limit counts per client address: X-Forwarded-For is believed only from the reverse proxy
    # (SHUXI_WEB_PROXY, default 127.0.0.1), which must set it, or every phone would share the proxy's address.
    proxies = os.environ.get("SHUXI_WEB_PROXY", "127.0.0.1").strip() or "127.0.0.1"
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=True,
                forwarded_allow_ips=proxies,
                timeout_keep_alive=65)   # phones on slow networks keep their connection between taps
