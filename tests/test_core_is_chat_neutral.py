"""The domain core never imports telegram: it must stay testable with no token and no network."""

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
#: Everything but the adapters is the domain: the kernel, every feature, the dialog and the CLI.
CORE = [p for p in BOT.rglob("*.py") if "adapters" not in p.relative_to(BOT).parts]


def test_no_core_module_imports_telegram():
    offenders = []
    assert len(CORE) > 20   # the walk found the packages
    for path in sorted(CORE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(BOT)}: {n}" for n in names if n.split(".")[0] == "telegram"]
    assert offenders == []


def test_importing_the_core_and_cli_loads_no_telegram():
    code = ("import sys, bot.cli, bot.dialog, bot.adapters.terminal; "
            "print(any(m.split('.')[0] == 'telegram' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
