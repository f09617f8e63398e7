"""The console script may end without the interpreter's teardown, but never without what a normal exit delivers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

ENDING = textwrap.dedent(
    """
    import atexit, sys
    from modelyard.cli.process_exit import exit_without_teardown
    atexit.register(lambda: print("atexit ran", file=sys.stderr))
    sys.stdout.write("buffered output")  # no newline: still in the buffer when the process ends
    exit_without_teardown(CODE)
    """
)


def end_with(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", ENDING.replace("CODE", code)], capture_output=True, text=True, timeout=60
    )


def test_exit_code_buffered_output_and_atexit_handlers_survive():
    ended = end_with("3")
    assert ended.returncode == 3
    assert ended.stdout == "buffered output"
    assert "atexit ran" in ended.stderr


def test_no_code_is_success_and_a_message_is_failure_as_with_sys_exit():
    assert end_with("None").returncode == 0
    ended = end_with("'stopped: bad input'")
    assert ended.returncode == 1
    assert "stopped: bad input" in ended.stderr


def test_plan_from_the_console_script_keeps_its_exit_code_and_output(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nimport pulumi_aws as aws\n"
        "bucket = aws.s3.Bucket('data')\npulumi.export('bucket', bucket.bucket)\n"
    )
    planned = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard.cli",
            "plan",
            "--program",
            str(tmp_path),
            "--stack",
            "dev",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    document = json.loads(planned.stdout)  # the whole document reached the pipe
    assert "bucket" in document["outputs"]
    # A bare bucket breaks mandatory rules of the pack: exit 1, as `plan --help` says, not the 0 of a skipped ending.
    mandatory = [v for v in document["policy"]["violations"] if v["enforcement"] == "mandatory"]
    assert mandatory
    assert planned.returncode == 1, planned.stderr
