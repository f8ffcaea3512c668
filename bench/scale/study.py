"""The scale study: what model scale ``s`` and corpus size buy, compared at equal CPU time.

A *point* is one training run: symbols (characters) x model kind (``e2e``, ``two-stage``) x
scale ``s`` x corpus size (words) x genre (``kjv``: the embedded text, ``fortunes``: Debian's
fortunes, held out of all tuning) x seed.  Each point is ONE ``spokenw2v train`` command line
with the defaults a user gets (only ``--scale``, ``--seed``, ``--epochs`` and the inputs are
given), printed by ``--dry-run`` so that any point can be rerun by hand.  The driver is
resumable: a point whose ``vectors.vec`` exists is finished and skipped, so an interrupted study
goes on where it stopped when the same command is run again.

Per corpus (genre x words) the driver first writes ``data/GENRE-Nk/corpus.txt`` and the text
reference (``spokenw2v train text``, seed 0), the target model of metric A.  After the points,
``collect`` scores every finished point's final vectors with ``spokenw2v evaluate --tsv``
(test A, A_partial and B with bootstrap intervals, the three null rows as floors, the mean of
the seeds) and adds, from each run's ``metrics.tsv``, the CPU time it took and the test scores
at the last epoch whose cumulative CPU time (``cpu_s``) is within the CPU budget of the study:
the points are compared at equal CPU time as well as at the end.  One table,
``ROOT/RESULTS.tsv``; ``spokenw2v plot scale ROOT/RESULTS.tsv --out scale.png`` draws it.

    python bench/scale/study.py --root DIR [--scales 1 2 3 4] [--words 30000 100000 300000]
        [--genres kjv fortunes] [--kinds e2e two-stage] [--seeds 0 1 2] [--epochs 60]
        [--budget 600] [--dry-run]

Run it with ``nice -n 10`` and ``OMP_NUM_THREADS=1`` on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

BENCH = Path(__file__).resolve().parents[1]
GENRES = ("kjv", "fortunes")
KINDS = ("e2e", "two-stage")
SYMBOLS = ("chars", "units")
#: The one-voice speech of the units points (the demo's first rung): espeak-ng voice, variant,
#: rate; MFCC at a 20 ms hop; k-means k = 100 over frames in words.
ONE_VOICE = ("en-us", "", "170")

#: Columns of RESULTS.tsv that describe the point (before those of ``evaluate --tsv``).
POINT_COLUMNS = ["point", "genre", "words", "symbols", "kind", "scale", "seed"]
#: Columns from the run's metrics.tsv: epochs run, CPU seconds in all, the CPU budget, and the
#: test scores of the last epoch within the budget.
BUDGET_COLUMNS = ["epochs", "cpu_s", "budget_s", "budget_epoch", "budget_cpu_s", "A_budget", "A_partial_budget",
                  "B_budget"]


@dataclass(frozen=True)
class Point:
    """One run of the study."""

    genre: str
    words: int
    symbols: str
    kind: str
    scale: int
    seed: int

    @property
    def corpus(self) -> str:
        """The corpus's directory name: ``kjv-30k``."""
        return corpus_name(self.genre, self.words)

    @property
    def name(self) -> str:
        """The run's directory name; seeds as ``.seedN`` so that ``evaluate`` groups them:
        ``kjv-30k-chars-e2e-s2.seed0``."""
        return f"{self.corpus}-{self.symbols}-{self.kind}-s{self.scale}.seed{self.seed}"


def corpus_name(genre: str, words: int) -> str:
    """``kjv``, 30000 -> ``kjv-30k`` (words in thousands when a whole number of them)."""
    size = f"{words // 1000}k" if words % 1000 == 0 else str(words)
    return f"{genre}-{size}"


def points(genres: Sequence[str], words: Sequence[int], kinds: Sequence[str], scales: Sequence[int],
           seeds: Sequence[int], symbols: Sequence[str] = ("chars",)) -> list[Point]:
    """Every combination, cheapest first (small corpora and small s before large ones), so a
    study cut short has its smallest points whole."""
    out = [Point(g, w, sym, k, s, seed) for w in sorted(words) for s in sorted(scales) for seed in seeds
           for g in genres for sym in symbols for k in kinds]
    return out


def train_command(point: Point, root: Path, epochs: int | None = None, spokenw2v: str = "spokenw2v") -> list[str]:
    """The point's ``spokenw2v train`` command line: the defaults a user gets, with its corpus,
    reference, scale and seed (and ``--epochs`` when the study fixes one)."""
    data = root / "data" / point.corpus
    if point.symbols == "units":
        source = ["--segments", str(data / "speech" / "segments.tsv"), "--units", str(data / "units.npz")]
    else:
        source = ["--corpus", str(data / "corpus.txt")]
    cmd = [*shlex.split(spokenw2v), "train", point.kind, *source,
           "--reference", str(data / "reference" / "vectors.vec"), "--scale", str(point.scale),
           "--seed", str(point.seed), "--out", str(run_dir(point, root)), "--quiet"]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    return cmd


def run_dir(point: Point, root: Path) -> Path:
    return root / "runs" / point.name


def is_done(point: Point, root: Path) -> bool:
    """A finished point: ``train`` writes ``vectors.vec`` last, atomically."""
    return (run_dir(point, root) / "vectors.vec").is_file()


def pending(all_points: Iterable[Point], root: Path) -> list[Point]:
    """The points still to run (the driver's resumability)."""
    return [p for p in all_points if not is_done(p, root)]


def budget_cut(rows: Sequence[dict], budget_s: float, clock: str = "cpu_s") -> dict | None:
    """The row of the last epoch whose cumulative CPU time ``cpu_s`` (or another ``clock``
    column: ``elapsed_s``, wall time, on a GPU) is at most ``budget_s`` (rows as read from
    ``metrics.tsv``: strings; epoch 0 has time 0).  None when no row has a time (a run written
    before ``cpu_s`` existed)."""
    best = None
    for row in rows:
        text = str(row.get(clock, "")).strip()
        if not text:
            continue
        if float(text) <= budget_s and (best is None or int(row["epoch"]) > int(best["epoch"])):
            best = row
    return best


def budget_columns(rows: Sequence[dict], budget_s: float, clock: str = "cpu_s") -> dict:
    """:data:`BUDGET_COLUMNS` of one run's metrics rows (``budget_cpu_s``: the ``clock``
    column's value at the cut; ``cpu_s``: the run's own CPU time in all)."""
    last = rows[-1] if rows else {}
    cut = budget_cut(rows, budget_s, clock) or {}
    return {"epochs": last.get("epoch", ""), "cpu_s": last.get("cpu_s", ""), "budget_s": budget_s,
            "budget_epoch": cut.get("epoch", ""), "budget_cpu_s": cut.get(clock, ""),
            "A_budget": cut.get("A", ""), "A_partial_budget": cut.get("A_partial", ""), "B_budget": cut.get("B", "")}


def mean_budget_columns(members: Sequence[dict]) -> dict:
    """The mean over seeds of each of :data:`BUDGET_COLUMNS` (empty where a seed lacks it)."""
    out = {}
    for col in BUDGET_COLUMNS:
        values = [str(m.get(col, "")).strip() for m in members]
        out[col] = "" if not values or "" in values else sum(float(v) for v in values) / len(values)
    return out


def read_table(path: Path) -> list[dict]:
    """A TSV with a header row as dicts of strings."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def write_table(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """Atomically: a temporary file renamed into place."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\t".join(columns) + "\n")
        for r in rows:
            f.write("\t".join(str(r.get(c, "")) for c in columns) + "\n")
    os.replace(tmp, path)


def corpus_lines(genre: str, words: int) -> list[str]:
    """The study's corpus of a genre: the embedded text from its first verse, or the
    non-offensive fortune files in name order (all of them, for the larger sizes)."""
    if genre == "kjv":
        from spokenw2v.corpus import demo_corpus

        return demo_corpus(words)
    if genre == "fortunes":
        files = sorted(p.name for p in Path("/usr/share/games/fortunes").glob("*") if p.suffix == "" and p.is_file())
        if not files:
            raise SystemExit("Error: /usr/share/games/fortunes: no fortune files (apt-get install fortunes)")
        out = subprocess.run([sys.executable, str(BENCH / "fortunes_corpus.py"), "--words", str(words), *files],
                             check=True, capture_output=True, text=True)
        return out.stdout.splitlines()
    raise SystemExit(f"Error: unknown genre {genre!r} (one of {', '.join(GENRES)})")


def run_logged(cmd: Sequence[str], log: Path, dry_run: bool) -> None:
    print(shlex.join(cmd), flush=True)
    if dry_run:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"Error: {shlex.join(cmd)} failed (exit {done.returncode}); see {log}")


def prepare_corpus(genre: str, words: int, root: Path, spokenw2v: str, dry_run: bool) -> None:
    """``data/GENRE-Nk/corpus.txt`` and its text reference, unless they exist."""
    data = root / "data" / corpus_name(genre, words)
    if not dry_run and not (data / "corpus.txt").is_file():
        data.mkdir(parents=True, exist_ok=True)
        tmp = data / "corpus.txt.tmp"
        tmp.write_text("".join(line + "\n" for line in corpus_lines(genre, words)), encoding="utf-8")
        os.replace(tmp, data / "corpus.txt")
    if not (data / "reference" / "vectors.vec").is_file():
        run_logged([*shlex.split(spokenw2v), "train", "text", "--corpus", str(data / "corpus.txt"),
                    "--out", str(data / "reference"), "--seed", "0", "--quiet"],
                   root / "logs" / f"{data.name}-reference.log", dry_run)


def prepare_units(genre: str, words: int, root: Path, spokenw2v: str, dry_run: bool) -> None:
    """One-voice speech units of a corpus: synthesize (espeak-ng), MFCC features, k-means units
    in words; each stage skipped when its output exists."""
    data = root / "data" / corpus_name(genre, words)
    tool = shlex.split(spokenw2v)
    voice, variant, rate = ONE_VOICE
    speech = data / "speech"
    stages = [
        (speech / "segments.tsv", [*tool, "synthesize", str(data / "corpus.txt"), "--out", str(speech), "--voices",
                                   voice, "--variants", variant, "--rates", rate, "--seed", "0", "--jobs", "2"]),
        (data / "mfcc", [*tool, "featurize", str(speech / "audio.tsv"), "--out", str(data / "mfcc"), "--feature",
                         "mfcc", "--hop-ms", "20", "--segments", str(speech / "segments.tsv"), "--device", "cpu"]),
        (data / "units.npz", [*tool, "discretize", str(data / "mfcc"), "--out", str(data / "units.npz"), "--codebook",
                              str(data / "codebook.npz"), "--k", "100", "--segments", str(speech / "segments.tsv"),
                              "--in-words", "--seed", "0", "--device", "cpu"]),
    ]
    for output, cmd in stages:
        if not output.exists():
            run_logged(cmd, root / "logs" / f"{data.name}-{cmd[len(tool)]}.log", dry_run)


def collect(all_points: Sequence[Point], root: Path, budget_s: float, spokenw2v: str,
            clock: str = "cpu_s") -> list[dict]:
    """Score the finished points, corpus by corpus, with ``evaluate --tsv`` on each run's own
    test set, and join the budget columns; null rows carry their corpus as floors."""
    rows: list[dict] = []
    done = [p for p in all_points if is_done(p, root)]
    for corpus in dict.fromkeys(p.corpus for p in done):
        members = [p for p in done if p.corpus == corpus]
        data = root / "data" / corpus
        table = root / "eval" / f"{corpus}.tsv"
        table.parent.mkdir(parents=True, exist_ok=True)
        cmd = [*shlex.split(spokenw2v), "evaluate", *[str(run_dir(p, root) / "vectors.vec") for p in members],
               "--reference", str(data / "reference" / "vectors.vec"),
               "--test-set", str(run_dir(members[0], root) / "test_set.tsv"), "--tsv", str(table), "--quiet"]
        run_logged(cmd, root / "logs" / f"{corpus}-evaluate.log", False)
        by_name = {p.name: p for p in members}
        genre, words = members[0].genre, members[0].words
        for r in read_table(table):
            p = by_name.get(r["model"])
            out = {"genre": genre, "words": words}
            if p is not None:
                out.update(point=p.name, symbols=p.symbols, kind=p.kind, scale=p.scale, seed=p.seed)
                out.update(budget_columns(read_table(run_dir(p, root) / "metrics.tsv"), budget_s, clock))
            elif r["row"] == "seeds":  # NAME: the mean of NAME.seedN
                seeds = [m for m in members if m.name.split(".seed")[0] == r["model"]]
                q = seeds[0]
                out.update(point=r["model"], symbols=q.symbols, kind=q.kind, scale=q.scale, seed="")
                out.update(mean_budget_columns([
                    budget_columns(read_table(run_dir(m, root) / "metrics.tsv"), budget_s, clock) for m in seeds]))
            else:  # a null row: a floor of this corpus
                out.update(point=r["model"], symbols="", kind="null", scale="", seed="")
            rows.append({**r, **out})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, required=True, help="study directory (data/, runs/, logs/, RESULTS.tsv)")
    ap.add_argument("--genres", nargs="+", default=list(GENRES), choices=GENRES)
    ap.add_argument("--words", nargs="+", type=int, default=[30000, 100000, 300000])
    ap.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    ap.add_argument("--symbols", nargs="+", default=["chars"], choices=SYMBOLS,
                    help="chars: the corpus's characters; units: one-voice MFCC units of its synthesized speech")
    ap.add_argument("--scales", nargs="+", type=int, default=[1, 2, 3, 4])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=None, help="epochs of every point (default: train's own)")
    ap.add_argument("--budget", type=float, default=600.0, help="CPU seconds per point at which points are compared")
    ap.add_argument("--clock", choices=["cpu_s", "elapsed_s"], default="cpu_s",
                    help="the metrics.tsv column the budget counts: CPU time, or wall time (GPU runs)")
    ap.add_argument("--spokenw2v", default="spokenw2v", help="the command to run (split like a shell does)")
    ap.add_argument("--dry-run", action="store_true", help="print the command lines, run nothing")
    ap.add_argument("--collect-only", action="store_true", help="only score the finished points")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    all_points = points(args.genres, args.words, args.kinds, args.scales, args.seeds, args.symbols)
    if not args.collect_only:
        for genre, words in dict.fromkeys((p.genre, p.words) for p in all_points):
            prepare_corpus(genre, words, root, args.spokenw2v, args.dry_run)
        for genre, words in dict.fromkeys((p.genre, p.words) for p in all_points if p.symbols == "units"):
            prepare_units(genre, words, root, args.spokenw2v, args.dry_run)
        todo = pending(all_points, root)
        print(f"{len(all_points)} points, {len(all_points) - len(todo)} finished, {len(todo)} to run", file=sys.stderr)
        for p in todo:
            run_logged(train_command(p, root, args.epochs, args.spokenw2v), root / "logs" / f"{p.name}.log",
                       args.dry_run)
    if args.dry_run:
        return 0
    rows = collect(all_points, root, args.budget, args.spokenw2v, args.clock)
    if not rows:
        print("no finished points", file=sys.stderr)
        return 1
    extra = [c for c in rows[0] if c not in POINT_COLUMNS + BUDGET_COLUMNS]
    write_table(root / "RESULTS.tsv", POINT_COLUMNS + BUDGET_COLUMNS + extra, rows)
    print(f"wrote {root / 'RESULTS.tsv'}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
