"""Every command has help text, appears in the README, and the three entry points work."""

import subprocess
import sys

import typer
from typer.testing import CliRunner

from helpers import REPO
from spokenw2v.cli import app

runner = CliRunner()


def _commands():
    """(path, click command) for every leaf command, e.g. ('plot curves', cmd)."""
    root = typer.main.get_command(app)
    out = []

    def walk(prefix, cmd):
        if hasattr(cmd, "commands"):  # a group (typer may vendor its own click)
            for name, sub in cmd.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            out.append((prefix, cmd))

    walk("", root)
    return out


def test_every_command_has_help_and_is_in_readme():
    readme = (REPO / "README.md").read_text()
    commands = _commands()
    assert len(commands) >= 8
    for path, cmd in commands:
        assert (cmd.help or "").strip(), f"{path} has no help text"
        assert f"spokenw2v {path}" in readme, f"'spokenw2v {path}' is not shown in README.md"
        result = runner.invoke(app, path.split() + ["--help"])
        assert result.exit_code == 0, result.output


def test_readme_starts_with_the_two_setup_commands():
    text = (REPO / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln for ln in block.strip().splitlines() if ln.strip()]
    assert len(lines) == 2
    assert "spokenw2v demo" in lines[0]
    assert "pytest" in lines[1]


def test_entry_points():
    for argv in ([sys.executable, "-m", "spokenw2v", "--version"], [sys.executable, str(REPO / "spokenw2v.py"), "--version"]):
        result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("spokenw2v ")


def test_error_message_with_brackets_is_printed_verbatim(capsys):
    """Error text is not rich markup: a word like '[laughter]' or '[/x]' in a message is
    printed as it is, on one line, with exit code 1 (not swallowed, not a traceback)."""
    import pytest

    from spokenw2v.cli.common import guarded
    from spokenw2v.errors import SpokenW2VError

    @guarded
    def boom():
        raise SpokenW2VError("x.tsv:3: the word '[laughter]' [/x] has unit ids outside [0, 100)")

    with pytest.raises(typer.Exit) as exc:
        boom()
    assert exc.value.exit_code == 1
    err = capsys.readouterr().err
    assert err == "Error: x.tsv:3: the word '[laughter]' [/x] has unit ids outside [0, 100)\n"


def test_command_list_summaries_are_one_line():
    """`spokenw2v --help` lists each command with its first help paragraph joined into one line
    (typer would otherwise keep the docstring's hard line breaks in the list)."""
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        summary = cmd.get_short_help_str(limit=10_000) if cmd.short_help is None else cmd.short_help
        assert "\n" not in summary, name
    assert root.commands["featurize"].short_help.startswith("Compute frame features")
