"""Running the demo's stages (:class:`~.plan.Stage`): each is a ``spokenw2v`` command run as
its own process, started once the stages it reads have finished, up to ``parallel`` side by
side.  A stage that finished before (its ``logs/NAME.done`` marker and its output exist) is
kept unless a stage it reads is redone; a failed stage stops the others."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..errors import SpokenW2VError
from ..io import atomic_write_text
from .plan import Stage

#: The program a stage's ``argv`` is given to: this Python's ``spokenw2v``.
SPOKENW2V = (sys.executable, "-m", "spokenw2v")
#: Seconds between two looks at the running stages.
POLL_SECONDS = 0.05
#: Lines of a failed stage's log shown in the error.
TAIL_LINES = 15


@dataclass
class RunningStage:
    """A stage's process, with when it started and the command that re-runs it alone."""

    stage: Stage
    process: subprocess.Popen
    started: float
    command: str
    log_path: Path


def side_by_side(jobs: int) -> tuple[int, int]:
    """(stages run at once, torch/OpenMP threads of each) for ``jobs`` on this machine's cores."""
    cores = os.cpu_count() or 1
    parallel = max(1, min(jobs, cores))
    return parallel, max(1, cores // parallel)


def start_stage(stage: Stage, log_path: Path, quiet: bool, threads: int,
                program: Sequence[str] = SPOKENW2V) -> subprocess.Popen:
    """Start one stage's command as a child process: its stdout goes to ``stage.stdout``, its
    log and progress to ``log_path``; ``threads`` caps its torch/OpenMP threads (the stages
    side by side share the cores)."""
    stage.stdout.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads of one stage must not spin on the other's cores
    with open(stage.stdout, "wb") as out, open(log_path, "wb") as err:
        return subprocess.Popen([*program, *stage.argv, *(["--quiet"] if quiet else [])],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ("" when it cannot be read)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Scheduler:
    """One pass over a plan: :meth:`run` starts the stages in dependency order and returns
    (name, seconds) of each stage it ran."""

    def __init__(self, stages: list[Stage], logs: Path, parallel: int, threads: int, quiet: bool,
                 log: Callable[[str], None], program: Sequence[str] = SPOKENW2V) -> None:
        self.stages, self.logs, self.parallel, self.threads = stages, logs, parallel, threads
        self.quiet, self.log, self.program = quiet, log, program
        self.number = {s.name: i for i, s in enumerate(stages, start=1)}
        self.running: dict[str, RunningStage] = {}
        self.timings: list[tuple[str, float]] = []

    def say(self, name: str, message: str) -> None:
        self.log(f"[{self.number[name]}/{len(self.stages)}] {name}: {message}")

    def unfinished(self) -> list[Stage]:
        """The stages to run, in plan order: those without a done marker and output, and every
        stage after one of them; the others are logged as kept."""
        redo: set[str] = set()
        for s in self.stages:
            if (self.logs / f"{s.name}.done").is_file() and s.done.exists() and not (set(s.after) & redo):
                self.say(s.name, f"done earlier, kept (spokenw2v {shlex.join(s.argv)})")
            else:
                redo.add(s.name)
        return [s for s in self.stages if s.name in redo]

    def start_ready(self, pending: list[Stage], finished: set[str]) -> None:
        """Start the pending stages whose ``after`` stages have finished, in plan order, while
        fewer than ``parallel`` run."""
        known = set(self.number)
        for s in list(pending):
            if len(self.running) >= self.parallel:
                break
            if set(s.after) & known <= finished:
                command = "spokenw2v " + shlex.join(s.argv)
                self.say(s.name, command)
                log_path = self.logs / f"{s.name}.log"
                process = start_stage(s, log_path, self.quiet, self.threads, self.program)
                self.running[s.name] = RunningStage(s, process, time.perf_counter(), command, log_path)
                pending.remove(s)

    def collect_finished(self, finished: set[str]) -> None:
        """Take the stages whose process has ended: a success is marked done (``logs/NAME.done``:
        the command and its seconds), a failure raises with the end of its log."""
        for name, run in list(self.running.items()):
            code = run.process.poll()
            if code is None:
                continue
            del self.running[name]
            if code in (130, -signal.SIGINT):  # the stage was interrupted (Ctrl-C)
                raise KeyboardInterrupt
            if code != 0:
                raise SpokenW2VError(f"demo: stage {name} failed (exit {code}); its log ({run.log_path}) ends:\n"
                                     f"{log_tail(run.log_path)}\nFix the cause and re-run the demo, or run the "
                                     f"stage alone: {run.command}")
            seconds = time.perf_counter() - run.started
            self.timings.append((name, seconds))
            atomic_write_text(self.logs / f"{name}.done", f"{run.command}\n{seconds:.1f} s\n")
            finished.add(name)
            self.say(name, f"finished in {seconds:.0f} s")

    def stop_running(self) -> None:
        """Stop the stages still running (after a failure or Ctrl-C): terminate, then kill
        what has not ended 10 s later."""
        for run in self.running.values():
            if run.process.poll() is None:
                run.process.terminate()
        for run in self.running.values():
            try:
                run.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                run.process.kill()

    def run(self) -> list[tuple[str, float]]:
        pending = self.unfinished()
        finished = set(self.number) - {s.name for s in pending}
        try:
            while pending or self.running:
                self.start_ready(pending, finished)
                if not self.running:
                    raise SpokenW2VError("demo: stages wait on each other (a cycle in the plan)")
                time.sleep(POLL_SECONDS)
                self.collect_finished(finished)
        finally:
            self.stop_running()
        return self.timings


def run_stages(stages: list[Stage], logs: Path, parallel: int, threads: int, quiet: bool,
               log: Callable[[str], None], program: Sequence[str] = SPOKENW2V) -> list[tuple[str, float]]:
    """Run the unfinished ``stages``, at most ``parallel`` at once, each after the stages it
    reads; keeps a finished stage (its ``logs/NAME.done`` marker and output exist) unless a
    stage it reads is redone.  Every stage is logged as the command that re-runs it alone
    (``program`` runs ``argv``; ``quiet`` adds ``--quiet``).  Returns (name, seconds) of each
    stage run.  A failed stage stops the others and raises :class:`SpokenW2VError` with the
    end of its log."""
    return Scheduler(stages, logs, parallel, threads, quiet, log, program).run()
