"""Output directories: the one guard every directory-writing command runs before it writes,
and the ``train --out`` run directory (its files, its lock, its ``config.json``).

An existing output directory is used only when it is *ours*: each command passes its own
test (a marker file, a spokenw2v ``config.json``, nothing but featurize's shards) to
:func:`check_output_dir`, which refuses a file in the directory's place and a directory that
fails the test with a one-line error before anything is touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path
from typing import Callable, Optional

from .errors import SpokenW2VError
from .io import RUN_CONFIG_FORMAT, record_payload, write_record

#: ``foreign(directory)``: why an existing directory is not ours (None: it is ours, or empty).
Foreign = Callable[[Path], Optional[str]]


def check_output_dir(path: os.PathLike, foreign: Foreign, role: str) -> None:
    """An existing output directory is used (and its files replaced) only when ``foreign``
    finds nothing in it that is not ours; otherwise a one-line error and nothing is touched.
    An existing file in its place is refused too.  ``role`` says what the command writes
    there, for the message (``"train writes a run directory there"``)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir():
        raise SpokenW2VError(f"{path}: exists and is not a directory ({role}); nothing was touched")
    reason = foreign(path)
    if reason:
        raise SpokenW2VError(f"{path}: {reason}; nothing was touched (give a new or empty directory)")


def marked_by(marker: str, what: str) -> Foreign:
    """The test of a directory that is ours when empty or when it holds the file ``marker``
    (which marks ``what``, for example ``synthesis.json`` a synthesize output directory)."""

    def foreign(path: Path) -> Optional[str]:
        if any(path.iterdir()) and not (path / marker).is_file():
            return f"the directory is not empty and is not {what} (no {marker} inside)"
        return None

    return foreign


def listed_in(marker: str, what: str, old_names: str) -> Foreign:
    """The test of a directory that one command writes as a whole and replaces as a whole: ours
    when empty, or when it holds the file ``marker`` (marking ``what``) and nothing but the
    entries that marker lists, one a line after its first line.  A marker of an earlier version
    lists nothing; then every other entry must match the regular expression ``old_names``."""
    pattern = re.compile(old_names)

    def foreign(path: Path) -> Optional[str]:
        entries = {e.name for e in path.iterdir()}
        if not entries:
            return None
        if not (path / marker).is_file():
            return f"the directory is not empty and is not {what} (no {marker} inside)"
        listed = listed_entries(path / marker)
        for name in sorted(entries - {marker}):
            if name not in listed and (listed or not pattern.match(name)):
                return f"{what}, but it also holds {name!r}, which that command did not write (move it out first)"
        return None

    return foreign


def listed_entries(marker: Path) -> set[str]:
    """The entries a :func:`listed_in` marker file lists (its lines after the first)."""
    try:
        lines = marker.read_text(encoding="utf-8", errors="surrogateescape").splitlines()[1:]
    except OSError:
        return set()
    return {line for line in lines if line}


# --------------------------------------------------------------------------- train run directories

#: The files ``train`` writes into its ``--out`` directory (``config.json`` marks a run directory).
RUN_FILES = ("config.json", "metrics.tsv", "vectors.vec", "last.pt", "best.pt", "test_set.tsv")
RUN_LOCK = ".spokenw2v-train.lock"
RUN_ROLE = "train writes a run directory there"


def is_run_config(path: Path) -> bool:
    """True when ``path`` is a ``config.json`` written by spokenw2v (with or without the
    record header); one written by a newer spokenw2v is a one-line error."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("format", RUN_CONFIG_FORMAT) != RUN_CONFIG_FORMAT:
        return False
    return "spokenw2v" in record_payload(doc, RUN_CONFIG_FORMAT, path)


def not_a_run_dir(path: Path) -> Optional[str]:
    """The test of a ``train --out`` directory: ours when it holds only hidden files or a
    spokenw2v ``config.json``."""
    if any(not e.name.startswith(".") for e in path.iterdir()) and not is_run_config(path / "config.json"):
        return "the directory is not empty and is not a train run directory (no spokenw2v config.json inside)"
    return None


def check_run_dir(out: Path) -> None:
    """``train --out``: absent, empty, or a run directory of ours; otherwise a one-line error."""
    check_output_dir(out, not_a_run_dir, RUN_ROLE)


def write_run_config(out: Path, kind: str, config: dict, inputs: dict, test_seed: int,
                     extra: dict | None = None) -> None:
    """Write ``OUT/config.json`` atomically, a ``spokenw2v-run-config`` record: the spokenw2v
    version, the kind, the resolved configuration, the absolute input paths, the test-set seed
    and ``extra`` facts of the run."""
    from . import __version__

    out.mkdir(parents=True, exist_ok=True)
    payload = {"spokenw2v": __version__, "kind": kind, "config": config, "inputs": inputs,
               "test_seed": test_seed, **(extra or {})}
    write_record(out / "config.json", RUN_CONFIG_FORMAT, payload)


class RunDirectory:
    """Exclusive use of a ``train --out`` directory, from the first write to the last.

    On entry: creates the directory when needed, takes an exclusive lock (``fcntl.flock`` on
    ``OUT/.spokenw2v-train.lock``; the kernel drops it when the process dies, so a lock file
    left by a killed run is taken over) and, unless resuming, removes the files of an earlier
    run (:data:`RUN_FILES`) so that no run directory mixes two runs.  On an exception before
    ``keep_after`` exists (the first checkpoint; None: any failure) the files of this run are
    removed again, and the directory too when this run created it.  The lock file is removed
    on exit.
    """

    def __init__(self, out: Path, resume: bool, keep_after: Optional[str]):
        self.out, self.resume, self.keep_after = Path(out), resume, keep_after
        self.created = False
        self.fd: Optional[int] = None

    def __enter__(self) -> "RunDirectory":
        check_run_dir(self.out)
        if not self.out.exists():
            self.out.mkdir(parents=True)
            self.created = True
        lock = self.out / RUN_LOCK
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SpokenW2VError(f"{self.out}: another train process is writing this run directory (it holds "
                                     f"{lock}); wait for it to finish or use another --out") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:  # else the previous holder removed the file meanwhile: lock the new one
                break
            os.close(fd)
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        check_run_dir(self.out)  # another process may have written meanwhile
        if not self.resume:
            for name in RUN_FILES:
                (self.out / name).unlink(missing_ok=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = exc_type is not None
        kept = self.keep_after is not None and (self.out / self.keep_after).exists()
        if failed and not self.resume and not kept:
            for name in RUN_FILES:
                (self.out / name).unlink(missing_ok=True)
        if self.fd is not None:
            (self.out / RUN_LOCK).unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None
        if failed and self.created and not self.resume:
            try:
                self.out.rmdir()  # only when empty: nothing of anyone else is removed
            except OSError:
                pass
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) and kept:
            raise KeyboardInterrupt(f"Interrupted; {self.out} keeps the run up to its last finished epoch "
                                    f"({self.keep_after}); continue it with --resume") from exc
