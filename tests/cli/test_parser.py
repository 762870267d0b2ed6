"""The parser built for one command is the parser of every command, cut to that one."""

from __future__ import annotations

import argparse

import pytest

from sslterm.cli import main
from sslterm.cli.parser import build_parser, command_of


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def every_parser(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Each (sub)command's help text, down to the last level (``deploy add``)."""
    found = {path: parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(every_parser(sub, (*path, name)))
    return found


FULL = build_parser()


@pytest.mark.parametrize("command", sorted(commands(FULL)))
def test_each_command_is_built_alone_exactly_as_among_all(command):
    alone = build_parser([command])
    assert list(commands(alone)) == [command]
    full = {path: text for path, text in every_parser(FULL).items() if path[:1] == (command,)}
    assert {path: text for path, text in every_parser(alone).items() if path} == full  # every flag, choice, default and help


@pytest.mark.parametrize(("argv", "command"), [
    (["check", "--no-renew"], "check"),
    (["--db", "list", "show", "3"], "show"),  # a database file named 'list'
    (["--check-interval", "5"], None),
    (["--db=x.db", "endpoint", "list"], "endpoint"),
    (["-h", "check"], None),  # the top level's help lists every command
    ([], None),
])
def test_the_command_is_the_first_word_that_is_not_a_global_option(argv, command):
    assert command_of(argv) == command


def test_a_mistyped_command_is_told_every_command(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["chek"])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'chek'" in error and all(f"'{name}'" in error for name in commands(FULL))


def test_help_before_a_command_is_the_whole_help(capsys):
    with pytest.raises(SystemExit):
        main(["-h", "check"])
    out = capsys.readouterr().out
    assert all(name in out for name in commands(FULL))
