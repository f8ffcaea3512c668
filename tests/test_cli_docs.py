"""Every command has help text, appears in the README, and the three entry points work."""

import re
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


def test_every_command_and_option_is_documented():
    """Every command has help text, is listed in the README (the guide) and documented in
    docs/commands.md (the reference) with every one of its options."""
    readme = (REPO / "README.md").read_text()
    reference = (REPO / "docs" / "commands.md").read_text()
    commands = _commands()
    assert len(commands) >= 8
    for path, cmd in commands:
        assert (cmd.help or "").strip(), f"{path} has no help text"
        assert f"spokenw2v {path}" in readme, f"'spokenw2v {path}' is not shown in README.md"
        assert f"spokenw2v {path}" in reference, f"'spokenw2v {path}' is not shown in docs/commands.md"
        for param in cmd.params:
            names = [o for o in param.opts + param.secondary_opts if o.startswith("--") and o != "--help"]
            if names and isinstance(param, click_option_types()):
                assert any(re.search(re.escape(o) + r"(?![\w-])", reference) for o in names), \
                    f"{path} {names[0]} is not documented in docs/commands.md"
        result = runner.invoke(app, path.split() + ["--help"])
        assert result.exit_code == 0, result.output


def click_option_types():
    """The option class of the click that typer uses (typer may vendor its own)."""
    cmd = typer.main.get_command(app)
    sub = next(iter(cmd.commands.values()))
    return tuple({type(p) for p in sub.params if getattr(p, "param_type_name", "") == "option"})


def test_readme_is_a_guide_and_its_links_resolve():
    """The README stays a few screens long; the files it links to exist."""
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) < 300
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if "://" not in target:
            assert (REPO / target).exists(), f"README.md links to a missing file: {target}"
    for doc in (REPO / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" not in target:
                assert (doc.parent / target).exists(), f"{doc.name} links to a missing file: {target}"


def _command_lines(text: str) -> list[str]:
    """The ``spokenw2v ...`` invocations in the ```bash blocks of a Markdown text, one string each
    (continuation lines joined, pipes and ``&&`` split, comments dropped)."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0]
            for part in re.split(r"\||&&|;", line):
                if "spokenw2v " in part and not part.strip().startswith(("python", "from", "import")):
                    out.append(part.split("spokenw2v ", 1)[1].strip())
    return out


def test_documented_command_lines_use_real_options():
    """Docs cannot drift: every ``spokenw2v COMMAND ...`` line in the README and docs/ uses only
    options that COMMAND has (checked against the CLI itself)."""
    options = {path: {o for p in cmd.params for o in p.opts + p.secondary_opts if o.startswith("-")}
               for path, cmd in _commands()}
    checked = 0
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for line in _command_lines(doc.read_text()):
            words = line.split()
            path = " ".join(words[:2]) if words[0] == "plot" else words[0]
            if path not in options:
                continue  # e.g. 'spokenw2v demo-run' in prose
            for word in words[1:]:
                flag = word.split("=", 1)[0]
                if re.fullmatch(r"--?[a-z][a-z0-9-]*", flag):
                    assert flag in options[path], f"{doc.name}: '{flag}' in 'spokenw2v {line}' is not an option of {path}"
            checked += 1
    assert checked >= 30


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
