"""Terminal channel: one line typed (or piped) is one message; buttons become numbered choices.

Typing a number picks the button with that number from the last reply; anything else is sent as text.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from bot.dialog import Dialog
from bot.kernel.messages import Attachment, Button, Incoming, Reply
from bot.qa.knowledge import PROJECT_ROOT

#: Where the terminal saves files the bot sends (an export, a chart); $SHUXI_EXPORTS overrides.
DEFAULT_EXPORTS = Path(os.environ.get("SHUXI_EXPORTS") or PROJECT_ROOT / "data" / "exports")


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    """Return a reply as terminal text, with its buttons numbered from ``first_number``, and the buttons in order."""
    lines = []
    if reply.title:
        lines.append(f"【{reply.title}】")
    lines.append(reply.text)
    buttons = [b for row in reply.buttons for b in row]
    lines += [f"  [{first_number + i}] {b.label}" for i, b in enumerate(buttons)]
    return "\n".join(lines), buttons


def save_attachment(attachment: Attachment, folder: Path | None = None) -> Path:
    """Write an attachment under ``folder`` (default ``data/exports/``), never overwriting; return its path."""
    folder = Path(folder or DEFAULT_EXPORTS)
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(attachment.filename).name or "file"   # no directories from the name
    stem, suffix = Path(name).stem, Path(name).suffix
    path = folder / name
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    path.write_bytes(attachment.data)
    return path


def run_terminal(dialog: Dialog, person: str = "me", stdin: TextIO | None = None, stdout: TextIO | None = None,
                 export_dir: Path | None = None) -> int:
    """Chat with ``dialog`` as ``cli:<person>`` until end of input or ``/exit``; return 0.

    A reply's attachment is written under ``export_dir`` (default ``data/exports/``) and its path printed."""
    if stdin is None and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")   # bytes that are not UTF-8 become U+FFFD, not a crash
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    key = f"cli:{person}"
    if interactive:
        print("熟悉 · 巩固脱贫成果后评估备考助手（终端）。直接输入问题；/help 看功能；/exit 或 Ctrl-D 退出。", file=stdout)
    buttons: list[Button] = []
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\r\n")
        if text.strip() == "/exit":
            break
        if not interactive:
            print(f"> {text}", file=stdout)
        choice = text.strip()
        if choice.isascii() and choice.isdigit() and len(choice) <= 3 and 1 <= int(choice) <= len(buttons):
            msg = Incoming(key, button=buttons[int(choice) - 1].data, channel="terminal")
        else:
            msg = Incoming(key, text=text, channel="terminal")
        buttons = []
        for reply in dialog.handle(msg):
            shown, new = render(reply, len(buttons) + 1)
            buttons += new
            print(shown, file=stdout)
            if reply.attachment is not None:
                print(f"[文件已保存：{save_attachment(reply.attachment, export_dir)}]", file=stdout)
        print(file=stdout, flush=True)
    return 0
