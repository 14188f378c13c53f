"""Terminal channel: one line typed (or piped) is one message; buttons become numbered choices.

Typing a number picks the button with that number from the last reply; anything else is sent as text.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..core.dialog import Dialog
from ..core.messages import Button, Incoming, Reply


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    """Return a reply as terminal text, with its buttons numbered from ``first_number``, and the buttons in order."""
    lines = []
    if reply.title:
        lines.append(f"【{reply.title}】")
    lines.append(reply.text)
    buttons = [b for row in reply.buttons for b in row]
    lines += [f"  [{first_number + i}] {b.label}" for i, b in enumerate(buttons)]
    return "\n".join(lines), buttons


def run_terminal(dialog: Dialog, person: str = "me", stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Chat with ``dialog`` as ``cli:<person>`` until end of input or ``/exit``; return 0."""
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
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            msg = Incoming(key, button=buttons[int(choice) - 1].data, channel="terminal")
        else:
            msg = Incoming(key, text=text, channel="terminal")
        buttons = []
        for reply in dialog.handle(msg):
            shown, new = render(reply, len(buttons) + 1)
            buttons += new
            print(shown, file=stdout)
        print(file=stdout, flush=True)
    return 0
