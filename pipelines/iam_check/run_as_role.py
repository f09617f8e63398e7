"""`python -m modelyard.pipelines.iam_check.run_as_role -m MODULE ARGS | -c CODE ARGS`: a step's container command,
run as Python would run it, after the IAM guard of $MODELYARD_IAM_CHECK is installed in this process."""

from __future__ import annotations

import runpy
import sys

from modelyard.pipelines.iam_check.guard import install_from_environment

USAGE = "usage: python -m modelyard.pipelines.iam_check.run_as_role (-m MODULE | -c CODE) [ARGS...]"


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("-m", "-c"):
        sys.exit(USAGE)
    install_from_environment()
    mode, target, arguments = argv[0], argv[1], argv[2:]
    if mode == "-m":
        sys.argv = [target, *arguments]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *arguments]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - python -c, as the container would


if __name__ == "__main__":
    main(sys.argv[1:])
