"""How the console script ends: a command that leaves a large object graph behind may skip CPython's teardown.

After a plan the interpreter holds ~3,000 modules (pulumi_aws alone is hundreds) and the Pulumi SDK's resources,
outputs and tasks. At exit CPython clears every module and collects that graph object by object: about 1.3 s for
the prod stack on a 2-core machine (benchmarks/plan_time.py), a quarter of the whole plan, for nothing anyone sees.
Skipping it is the technique Instagram describes in "Dismissing Python Garbage Collection at Instagram" (2017):
run the atexit handlers, flush, then `os._exit`. Only commands that ask for it end this way, and only from the
console script: in-process callers (tests, CliRunner) return as usual.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

_teardown_skipped = False


def skip_interpreter_teardown() -> None:
    """Called by a command once everything it writes goes through open files it has closed or through stdout/stderr:
    the console script then ends the process without clearing modules one by one."""
    global _teardown_skipped  # noqa: PLW0603 - one process, one ending
    _teardown_skipped = True


def teardown_skipped() -> bool:
    return _teardown_skipped


def exit_without_teardown(code: int | str | None) -> NoReturn:
    """End the process as `sys.exit(code)` would, minus the module teardown: atexit handlers still run (temporary
    folders, logging's flush), stdout and stderr are flushed, then `os._exit`."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
    atexit._run_exitfuncs()  # noqa: SLF001 - what the interpreter itself runs at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            # A closed pipe (`modelyard plan --json | head`): what could not be written is lost either way.
            pass
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
