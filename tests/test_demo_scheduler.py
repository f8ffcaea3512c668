"""The demo's scheduler on trivial stages (Python one-liners instead of spokenw2v commands):
dependency order, --quiet passed on, stdout and logs, kept stages, a failure that stops the
others, a cycle."""

import os
import sys

import pytest

from spokenw2v.demo import Stage, run_stages
from spokenw2v.demo.scheduler import side_by_side
from spokenw2v.errors import SpokenW2VError

PYTHON = (sys.executable, "-c")

#: Writes its arguments to the file named first; with a second file, fails unless that one
#: exists (``--quiet`` aside).
WRITE = ("import sys, pathlib\n"
         "files = [a for a in sys.argv[1:] if a != '--quiet']\n"
         "if len(files) > 1 and not pathlib.Path(files[1]).is_file(): sys.exit(2)\n"
         "pathlib.Path(files[0]).write_text(' '.join(sys.argv[1:]))\n"
         "print('stdout of', files[0])")


def stage(tmp_path, name, after=(), needs=None, code=WRITE):
    out = tmp_path / f"{name}.out"
    argv = [code, str(out)] + ([str(tmp_path / f"{needs}.out")] if needs else [])
    return Stage(name, argv, out, tuple(after), stdout=tmp_path / "logs" / f"{name}.txt")


def plan_of_three(tmp_path):
    """``c`` reads ``a``'s output; ``b`` stands alone."""
    return [stage(tmp_path, "a"), stage(tmp_path, "b"), stage(tmp_path, "c", after=("a",), needs="a")]


def run(stages, tmp_path, messages, parallel=2, quiet=False):
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    return run_stages(stages, logs, parallel, 1, quiet, messages.append, program=PYTHON)


def test_stages_run_after_what_they_read_and_are_logged_as_commands(tmp_path):
    messages = []
    timings = run(plan_of_three(tmp_path), tmp_path, messages, quiet=True)
    assert sorted(name for name, _ in timings) == ["a", "b", "c"]
    # c started only once a had finished (it exits 2 when a's output is missing)
    assert (tmp_path / "c.out").read_text() == f"{tmp_path / 'c.out'} {tmp_path / 'a.out'} --quiet"
    started = [m for m in messages if "spokenw2v " in m and "finished" not in m]
    assert started[0].startswith("[1/3] a: spokenw2v ") and started[1].startswith("[2/3] b: spokenw2v ")
    assert messages.index("[1/3] a: finished in 0 s") < next(i for i, m in enumerate(messages)
                                                            if m.startswith("[3/3] c: spokenw2v "))
    assert (tmp_path / "logs" / "a.txt").read_text() == f"stdout of {tmp_path / 'a.out'}\n"
    assert (tmp_path / "logs" / "c.log").is_file()
    done = (tmp_path / "logs" / "c.done").read_text()  # the command, then its seconds
    assert done.startswith("spokenw2v ") and done.endswith(" s\n")


def test_finished_stages_are_kept_and_what_reads_a_redone_stage_is_redone(tmp_path):
    run(plan_of_three(tmp_path), tmp_path, [])
    messages = []
    assert run(plan_of_three(tmp_path), tmp_path, messages) == []
    assert all(": done earlier, kept (spokenw2v " in m for m in messages) and len(messages) == 3
    (tmp_path / "a.out").unlink()
    timings = run(plan_of_three(tmp_path), tmp_path, messages := [])
    assert [name for name, _ in timings] == ["a", "c"]
    assert messages[0].startswith("[2/3] b: done earlier, kept")


def test_a_failed_stage_stops_the_others_and_shows_its_log(tmp_path):
    pid_file = tmp_path / "slow.pid"
    slow = Stage("slow", ["import os, sys, time, pathlib\npathlib.Path(sys.argv[1]).write_text(str(os.getpid()))\n"
                          "time.sleep(60)", str(pid_file)], tmp_path / "slow.out",
                 stdout=tmp_path / "logs" / "slow.txt")
    bad = Stage("bad", ["import sys, time, pathlib\nwhile not pathlib.Path(sys.argv[1]).is_file(): time.sleep(0.01)\n"
                        "print('first line', file=sys.stderr)\nprint('the cause', file=sys.stderr)\nsys.exit(3)",
                        str(pid_file)], tmp_path / "bad.out", stdout=tmp_path / "logs" / "bad.txt")
    with pytest.raises(SpokenW2VError) as caught:
        run([slow, bad], tmp_path, [])
    message = str(caught.value)
    assert "demo: stage bad failed (exit 3)" in message and "ends: first line the cause Fix the cause" in message
    assert "run the stage alone: spokenw2v " in message
    assert not (tmp_path / "logs" / "bad.done").exists() and not (tmp_path / "logs" / "slow.done").exists()
    with pytest.raises(ProcessLookupError):  # the slow stage was stopped (and reaped)
        os.kill(int(pid_file.read_text()), 0)


def test_stages_that_wait_on_each_other_are_an_error(tmp_path):
    stages = [stage(tmp_path, "a", after=("b",)), stage(tmp_path, "b", after=("a",))]
    with pytest.raises(SpokenW2VError, match="a cycle in the plan"):
        run(stages, tmp_path, [])
    assert not (tmp_path / "a.out").exists()


def test_side_by_side_never_runs_more_stages_than_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert side_by_side(2) == (2, 2)
    assert side_by_side(8) == (4, 1)
    assert side_by_side(3) == (3, 1)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert side_by_side(2) == (1, 1)
