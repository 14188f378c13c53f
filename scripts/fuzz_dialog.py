"""Fuzz the dialog with many more examples than CI does (issue 13): ``python scripts/fuzz_dialog.py [N]``.

Runs the property of ``tests/test_dialog_fuzz.py`` — generated messages, commands, forged buttons and poll answers
in every state — N times (default 10 000, fixed seed) and prints, last, ``examples=N failures=F``; hypothesis prints
the smallest failing example(s) first. Exit status 0 without failures, 1 with.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.qa import knowledge  # noqa: E402
from tests.test_dialog_fuzz import World, fuzz_test  # noqa: E402


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    world = World.build(knowledge.load())
    started = time.monotonic()
    failures = 0
    try:
        fuzz_test(world, examples)()
    except BaseExceptionGroup as group:   # several distinct bugs (hypothesis reports each)
        failures = len(group.exceptions)
        print(group, file=sys.stderr)
    except Exception as exc:   # noqa: BLE001 - one failing example: hypothesis printed it; count it
        failures = 1
        print(f"{type(exc).__name__}: {exc}", *getattr(exc, "__notes__", []), sep="\n", file=sys.stderr)
    finally:
        world.close()
    print(f"seconds={time.monotonic() - started:.0f}")
    print(f"examples={examples} failures={failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
