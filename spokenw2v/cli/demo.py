"""``spokenw2v demo``: the whole pipeline on the embedded demo corpus."""

from __future__ import annotations

import contextlib
import json
import math
import shlex
import time
from pathlib import Path

import typer

from ..errors import SpokenW2VError
from ..rundir import check_output_dir, marked_by
from .options import MAX_COUNT, NON_NEGATIVE, POSITIVE, SEED, Range, ranged
from .common import QuietOption, app, err_console, guarded, out_console, refuse_stdio

DEMO_RECORD = "demo.json"


def _run_stage(argv: list[str], stdout_path: Path, quiet: bool) -> int:
    """Run one ``spokenw2v`` command in this process; its stdout goes to ``stdout_path``."""
    import typer.main

    command = typer.main.get_command(app)
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    with open(stdout_path, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        result = command.main(args=argv + (["--quiet"] if quiet else []), prog_name="spokenw2v",
                              standalone_mode=False)
    return result if isinstance(result, int) else 0


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _ci(row: dict, key: str, pad: int = 0) -> str:
    """``value  [low, high]`` padded to 24 characters (``pad`` more for a wider heading)."""
    value = _float(row.get(key, ""))
    low, high = _float(row.get(f"{key}_low", "")), _float(row.get(f"{key}_high", ""))
    text = " " * pad + (f"{value:>+6.2f}" if not math.isnan(value) else f"{'-':>6}")
    if not (math.isnan(low) or math.isnan(high)):
        text += f"  [{low:+.2f}, {high:+.2f}]"
    return f"{text:<{24 + pad}}"


def _first_last(metrics: Path) -> tuple[str, str, int]:
    """(A at epoch 0 -> last, B at epoch 0 -> last, epochs) from a metrics.tsv."""
    from ..io import read_tsv

    if not metrics.is_file():
        return "", "", 0
    _, rows = read_tsv(metrics, ["epoch", "A", "B"])
    if not rows:
        return "", "", 0
    first, last = rows[0][1], rows[-1][1]
    if math.isnan(_float(first["A"])) or len(rows) < 2:
        return "", "", 0

    def move(key: str) -> str:
        return f"{_float(first[key]):+.2f} → {_float(last[key]):+.2f}"

    return move("A"), move("B"), int(last["epoch"])


@app.command("demo")
@guarded
def demo_command(
    out: Path = typer.Argument(..., help="Output directory: every intermediate file of the run stays here."),
    words: int = ranged(Range(200, MAX_COUNT), 30000, "--words",
                                               help="Words of the demo text (King James Version from Genesis 1:1)."),
    seed: int = ranged(SEED, 0, "--seed", help="Seed of every stage."),
    jobs: int = ranged(NON_NEGATIVE, 0, "--jobs", "-j", help="Synthesis worker processes (0 = one per CPU core)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda for the neural models."),
    k: int = ranged(Range(2, MAX_COUNT), 100, "--k", help="Number of k-means units over the MFCC frames."),
    char_epochs: int = ranged(POSITIVE, 45, "--char-epochs", help="Epochs of the character models (two-stage, e2e)."),
    unit_epochs: int = ranged(POSITIVE, 45, "--unit-epochs", help="Epochs of the unit models (two-stage, e2e) on the "
                                        "one-voice speech."),
    voices_epochs: int = ranged(NON_NEGATIVE, 0, "--voices-epochs",
                                help="Add the harder rung: e2e for this many epochs on the units of the same "
                                     "text spoken in 24 voice settings (about 5 more minutes on 2 cores for 15 "
                                     "epochs; 0 = leave it out)."),
    ae_epochs: int = ranged(NON_NEGATIVE, 0, "--ae-epochs", help="Auto-encoder epochs of the two-stage models "
                            "(0 = 30 for characters, 5 for units)."),
    quiet: bool = QuietOption,
) -> None:
    """Run the whole pipeline on the embedded demo corpus (no download): synthesize the text
    in one espeak-ng voice, MFCC features, k-means units, then the text baseline, the
    character two-stage and end-to-end models, the unit models (45 epochs: long enough for
    the end-to-end model to learn meaning from the units), a clustering-noise sweep, one
    evaluation table with its null rows and the training-curve and sweep figures.
    --voices-epochs N adds the harder rung: the same text in 24 synthesized voice settings.

    Every stage is logged as the spokenw2v command that re-runs it alone.  Re-running the
    demo into the same directory keeps the stages that finished (delete a stage's output
    or OUT/logs/STAGE.done to redo it and everything after it).
    """
    from ..corpus import demo_corpus
    from ..demo import DemoConfig, layout, pipeline_statistics
    from ..io import atomic_write_text, read_segments, read_tsv, read_units, write_tsv
    from .demo_plan import plan
    from .synthesize import default_jobs

    def log(message: str) -> None:  # one line per message, never wrapped: commands stay copyable
        if not quiet:
            err_console.print(message, highlight=False, markup=False, soft_wrap=True)

    refuse_stdio(out, "OUT", "the demo writes a directory")
    check_output_dir(out, marked_by(DEMO_RECORD, "a demo run directory"), "expected a demo run directory")
    cfg = DemoConfig(words=words, seed=seed, jobs=jobs if jobs > 0 else default_jobs(), device=device, k=k,
                     char_epochs=char_epochs, unit_epochs=unit_epochs, voices_epochs=voices_epochs,
                     char_ae_epochs=ae_epochs or 30, unit_ae_epochs=ae_epochs or 5)
    p = layout(out)
    record = {"words": words, "seed": seed, "device": device, "k": k, "char_epochs": char_epochs,
              "unit_epochs": unit_epochs, "voices_epochs": voices_epochs, "ae_epochs": ae_epochs}
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / DEMO_RECORD
    if record_path.is_file():
        try:
            found = json.loads(record_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            found = None
        if found != record:
            raise SpokenW2VError(f"{out}: holds a demo run with other settings ({record_path}); "
                                 f"use another directory or remove it")
    else:
        atomic_write_text(record_path, json.dumps(record, indent=2) + "\n")

    t0 = time.perf_counter()
    timings: list[tuple[str, float]] = []
    log(f"demo: the whole pipeline in {out} (the first {words} words of the King James Version; "
        f"every stage below is one spokenw2v command you can re-run alone)")
    if not p["text"].is_file():
        lines = demo_corpus(words)
        atomic_write_text(p["text"], "\n".join(lines) + "\n")
    log(f"[0] demo text: {p['text']} (python3 -c 'from spokenw2v.corpus import demo_corpus; "
        f"print(chr(10).join(demo_corpus({words})))' > {p['text']})")

    stages = plan(out, cfg)
    redo = False
    for i, stage in enumerate(stages, start=1):
        command = "spokenw2v " + shlex.join(stage.argv)
        marker = p["logs"] / f"{stage.name}.done"
        if not redo and marker.is_file() and stage.done.exists():
            log(f"[{i}/{len(stages)}] {stage.name}: done earlier, kept ({command})")
            continue
        redo = True
        log(f"[{i}/{len(stages)}] {stage.name}: {command}")
        t = time.perf_counter()
        code = _run_stage(stage.argv, stage.stdout, quiet)
        if code == 130:  # the stage was interrupted (Ctrl-C)
            raise KeyboardInterrupt
        if code != 0:
            raise SpokenW2VError(f"demo: stage {stage.name} failed (exit {code}); fix the cause and re-run "
                                 f"the demo, or run the stage alone: {command}")
        timings.append((stage.name, time.perf_counter() - t))
        atomic_write_text(marker, f"{command}\n{timings[-1][1]:.1f} s\n")

    # pipeline statistics of the discretized speech
    def statistics(units_path: Path, segments_path: Path, tsv: Path) -> dict:
        units = read_units(units_path)
        durations = dict(zip(units.frames.utt_ids, units.frames.durations.tolist()))
        seg = read_segments(segments_path, require_words=True, durations=durations)
        found = pipeline_statistics(units, seg)
        write_tsv(tsv, ["statistic", "value"], [[key, value] for key, value in found.items()])
        return found

    stats = statistics(p["units"], p["segments"], p["stats"])
    stats_voices = statistics(p["units_voices"], p["segments_voices"], p["stats_voices"]) \
        if voices_epochs > 0 else None

    # one table: the models and the nulls, their movement over training, and the noise sweep
    _, rows = read_tsv(p["results"], ["model", "A", "B"])
    _, sweep_rows = read_tsv(p["sweep"], ["model", "A"])
    lines = [f"spokenw2v demo: {stats['tokens']:,} synthesized word tokens, {stats['types']:,} word types "
             f"(metrics on the test half of the test words)",
             f"{'model':<18}{'A':>6}  {'95% CI':<16}{'A_partial':>9}  {'95% CI':<16}{'A_sem':>6}  "
             f"{'B':>6}  {'95% CI':<16}{'A: epoch 0 → last':<19}{'B: epoch 0 → last':<19}epochs"]

    def line(row: dict, move: bool = True) -> str:
        a_move, b_move, epochs = _first_last(p["runs"] / row["model"] / "metrics.tsv") if move else ("", "", 0)
        a_sem = _float(row.get("A_sem", ""))
        sem = f"{a_sem:>+6.2f}" if not math.isnan(a_sem) else f"{'-':>6}"
        return (f"{row['model']:<18}{_ci(row, 'A')}{_ci(row, 'A_partial', 3)}{sem}  {_ci(row, 'B')}{a_move:<19}"
                f"{b_move:<19}{epochs if a_move else ''}").rstrip()

    kinds = {"": "model", "model": "model"}
    for _, row in rows:
        if kinds.get(row.get("row", ""), row.get("row")) == "model":
            lines.append(line(row))
    lines.append("")
    for _, row in rows:
        if row.get("row") == "null":
            lines.append(line(row, move=False))
    lines.append("")
    for _, row in sweep_rows:
        if kinds.get(row.get("row", ""), row.get("row")) == "model":
            lines.append(line(row, move=False))
    out_console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
    out_console.print(
        f"Models: text = gensim skipgram on the transcript (the reference); *-chars = character sequences "
        f"of the words ({char_epochs} epochs); *-units = MFCC k-means units (k = {k}) of the words spoken by "
        f"one synthesized voice (espeak-ng en-us, 170 wpm; {unit_epochs} epochs)"
        + (f"; e2e-units-voices = the same on the text spoken in 24 synthesized voice settings (en-us, en-gb "
           f"x 4 variants x 3 rates; {voices_epochs} epochs)" if voices_epochs > 0 else "")
        + "; two-stage = frozen auto-encoder + SGNS, e2e = end-to-end; substitute-R = text model (another "
          "seed) with a fraction R of the tokens replaced (clustering noise). A: Pearson r with the "
          "reference's distances; A_partial: the same with spelling (edit distance) and word frequency "
          "partialled out, the part of A that only meaning explains; A_sem: A on the semantic pairs alone; "
          "B: Pearson r with edit distance (orthographic). Null rows are the floors: a distance that knows "
          "only word frequency, only spelling, or nothing (random vectors). Read A beside null:frequency, "
          "and A_partial beside 0.",
        highlight=False, soft_wrap=True)

    def describe(name: str, found: dict, path: Path) -> str:
        return (f"{name} (MFCC, k = {k}, {path}): {found['mean_frames']:.1f} frames and "
                f"{found['mean_units']:.2f} units per word token (duplicates merged); "
                f"{found['mean_sequences_per_type']:.2f} distinct unit sequences per word type; "
                f"{100 * found['unique_fraction']:.1f}% of tokens have a sequence no other word shares; "
                f"unit changes within {1000 * found['boundary_tolerance']:.0f} ms of "
                f"{100 * found['boundary_recall']:.1f}% of word boundaries (precision "
                f"{100 * found['boundary_precision']:.1f}%: most unit changes lie inside words).")

    out_console.print(describe("Pipeline statistics, one voice", stats, p["stats"]), highlight=False,
                      soft_wrap=True)
    if stats_voices is not None:
        out_console.print(describe("24 voice settings", stats_voices, p["stats_voices"]), highlight=False,
                          soft_wrap=True)
    out_console.print(
        f"Figures: {p['curves']} (A and B per epoch), {p['sweep_png']} (noise sweep). Full evaluation with "
        f"word-similarity benchmarks and nearest neighbours: {p['logs'] / 'evaluate.txt'}, {p['results']}.",
        highlight=False, soft_wrap=True)
    total = time.perf_counter() - t0
    slowest = ", ".join(f"{n} {s:.0f} s" for n, s in sorted(timings, key=lambda x: -x[1])[:4])
    log(f"demo: finished in {total / 60:.1f} min" + (f" (slowest stages: {slowest})" if slowest else ""))
