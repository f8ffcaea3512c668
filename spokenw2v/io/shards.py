"""The shard protocol of a features directory: its files' names and the completeness check
every reader makes (:func:`npz_files`).

A large corpus is featurized in parts (``featurize --shard i/n``, possibly as separate
processes); part ``i`` of an ``n``-way split writes ``part-i-of-n-k.npz`` (k = 0, 1, ...)
through a hidden staging folder and lists its files last in ``part-i-of-n.done``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

from ..errors import SpokenW2VError
from .files import read_text, refuse_stdio_npz


def npz_files(path: str | os.PathLike) -> list[Path]:
    """A file, or the sorted ``*.npz`` shards of a directory."""
    refuse_stdio_npz(path)
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.npz") if not p.name.startswith("."))
        if not files:
            raise SpokenW2VError(f"{path}: directory holds no .npz shards")
        check_shard_set(path, files)
        return files
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file or directory")
    return [path]


# Shard names of a features directory (written by spokenw2v.featurize, checked here by every
# reader): part i of an n-way split is ``part-i-of-n-k.npz`` (k = 0, 1, ...), finished by the
# list ``part-i-of-n.done``, and staged while it runs in a hidden folder ``.part-i-of-n.XXXX``.
_PART_RE = re.compile(r"^part-(\d+)-of-(\d+)-(\d+)\.npz$")
_DONE_RE = re.compile(r"^part-(\d+)-of-(\d+)\.done$")
_STAGING_RE = re.compile(r"^\.part-\d+-of-\d+\..+$")


def shard_part(name: str) -> tuple[int, int, int] | None:
    """(part i, split n, file number k) of a shard file name ``part-i-of-n-k.npz``; None for
    any other name."""
    m = _PART_RE.match(name)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def is_shard_entry(entry: Path) -> bool:
    """True for an entry of a features directory that the shard protocol names: a shard file
    ``part-i-of-n-k.npz``, a finished part's list ``part-i-of-n.done``, or a part's hidden
    staging folder ``.part-i-of-n.XXXX``."""
    if _PART_RE.match(entry.name) or _DONE_RE.match(entry.name):
        return entry.is_file()
    return bool(_STAGING_RE.match(entry.name)) and entry.is_dir()


def part_prefix(index: int, count: int) -> str:
    """``part-00000-of-00002``: the start of every file name of part ``index`` of ``count``."""
    return f"part-{index:05d}-of-{count:05d}"


def part_name(index: int, count: int, number: int) -> str:
    """Shard file name: ``part-00000-of-00001-00000.npz`` (sorts in corpus order)."""
    return f"{part_prefix(index, count)}-{number:05d}.npz"


def part_done_name(index: int, count: int) -> str:
    """``part-00000-of-00002.done``: the list of a finished part's shard files, written last."""
    return f"{part_prefix(index, count)}.done"


def part_staging_prefix(index: int, count: int) -> str:
    """``.part-00000-of-00002.``: the start of the name of a part's hidden staging folder."""
    return f".{part_prefix(index, count)}."


def check_shard_set(directory: Path, files: Sequence[Path]) -> None:
    """A directory of ``part-i-of-n-k.npz`` shards must be complete: one ``n`` for all, every
    part ``i`` in 0..n-1 present and its files numbered 0, 1, ... without a gap; when the
    directory has ``part-i-of-n.done`` lists (featurize writes one when a part is finished),
    every part needs its list and holds exactly the files it names.  Directories of other
    ``.npz`` names are not checked."""
    parts: dict[int, list[int]] = {}
    counts: dict[int, str] = {}
    for f in files:
        m = _PART_RE.match(f.name)
        if m is None:
            continue
        counts.setdefault(int(m.group(2)), f.name)
        parts.setdefault(int(m.group(1)), []).append(int(m.group(3)))
    if not counts:
        return
    if len(counts) > 1:
        names = ", ".join(f"{name} (of {n})" for n, name in sorted(counts.items()))
        raise SpokenW2VError(f"{directory}: holds shards of different splits ({names}); one featurize --out "
                             f"directory must hold one split")
    n = next(iter(counts))
    missing = [i for i in range(n) if i not in parts]
    if missing:
        shown = ", ".join(f"{i}/{n}" for i in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise SpokenW2VError(f"{directory}: incomplete shard set: part(s) {shown} missing (run featurize "
                             f"--shard for them into this directory first)")
    for i, numbers in sorted(parts.items()):
        if i >= n:
            raise SpokenW2VError(f"{directory}: {part_name(i, n, numbers[0])} is part {i} of a {n}-way split")
        if sorted(numbers) != list(range(len(numbers))):
            gap = min(set(range(max(numbers) + 1)) - set(numbers))
            raise SpokenW2VError(f"{directory}: incomplete shard set: {part_name(i, n, gap)} missing")
    done = [p for p in directory.glob("part-*.done") if _DONE_RE.match(p.name)]
    if not done:
        return  # written before the lists existed
    for i, numbers in sorted(parts.items()):
        listing = directory / part_done_name(i, n)
        if not listing.is_file():
            raise SpokenW2VError(f"{directory}: part {i}/{n} is unfinished (no {listing.name}: its featurize "
                                 f"run stopped while moving its files in; run featurize --shard {i}/{n} again)")
        listed = sorted(read_text(listing).split())
        if listed != sorted(part_name(i, n, k) for k in numbers):
            raise SpokenW2VError(f"{listing}: lists other files than the directory holds for part {i}/{n} "
                                 f"(run featurize --shard {i}/{n} again)")
