"""--stack, --outputs-file and --aws-endpoint-url mean one thing, with one help text, in every command that has them."""

from __future__ import annotations

import typer

from modelyard.cli.app import app

SHARED = ("--stack", "--outputs-file", "--aws-endpoint-url")


def _commands(group, path=()):
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))
    if not hasattr(group, "commands"):
        yield " ".join(path), group


def test_each_shared_option_has_one_help_text_across_the_training_and_pipeline_commands():
    helps: dict[str, dict[str, str]] = {option: {} for option in SHARED}
    for name, command in _commands(typer.main.get_command(app)):
        if not (name == "train" or name.startswith("pipeline ")):
            continue
        for parameter in command.params:
            for option in SHARED:
                if option in parameter.opts:
                    helps[option][name] = parameter.help
    assert set(helps["--aws-endpoint-url"]) >= {
        "train",
        "pipeline start",
        "pipeline run",
        "pipeline train",
        "pipeline ingest",
        "pipeline monitor",
    }
    for option, by_command in helps.items():
        assert len(set(by_command.values())) == 1, (option, by_command)
