"""``spokenw2v demo``: the whole pipeline on the embedded demo corpus."""

from __future__ import annotations

import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from ..errors import SpokenW2VError
from ..rundir import check_output_dir, marked_by
from .options import HOP_MS, MAX_COUNT, NON_NEGATIVE, POSITIVE, SEED, Range, ranged
from .common import QuietOption, app, err_console, guarded, out_console, refuse_stdio

DEMO_RECORD = "demo.json"


def _stage_process(argv: list[str], stdout_path: Path, log_path: Path, quiet: bool, threads: int) -> subprocess.Popen:
    """Start one ``spokenw2v`` command as a child process: its stdout goes to ``stdout_path``,
    its log and progress to ``log_path``; ``threads`` caps its torch/OpenMP threads (the
    stages side by side share the cores)."""
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads of one stage must not spin on the other's cores
    with open(stdout_path, "wb") as out, open(log_path, "wb") as err:
        return subprocess.Popen([sys.executable, "-m", "spokenw2v", *argv, *(["--quiet"] if quiet else [])],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_stages(stages: list, logs: Path, parallel: int, threads: int, quiet: bool, log) -> list[tuple[str, float]]:
    """Run the unfinished ``stages`` (:class:`~.demo_plan.Stage`), at most ``parallel`` at once,
    each after the stages it reads; keeps a finished stage (its ``logs/NAME.done`` marker and
    output exist) unless a stage it reads is redone.  Returns (name, seconds) of each stage run.
    A failed stage stops the others and raises :class:`SpokenW2VError` with the end of its log."""
    from ..io import atomic_write_text

    number = {s.name: i for i, s in enumerate(stages, start=1)}
    known = set(number)
    redo: set[str] = set()
    pending = []
    for s in stages:
        marker = logs / f"{s.name}.done"
        if marker.is_file() and s.done.exists() and not (set(s.after) & redo):
            log(f"[{number[s.name]}/{len(stages)}] {s.name}: done earlier, kept (spokenw2v {shlex.join(s.argv)})")
        else:
            redo.add(s.name)
            pending.append(s)
    finished = known - redo
    running: dict[str, tuple] = {}
    timings: list[tuple[str, float]] = []
    try:
        while pending or running:
            for s in list(pending):
                if len(running) >= parallel:
                    break
                if set(s.after) & known <= finished:
                    command = "spokenw2v " + shlex.join(s.argv)
                    log(f"[{number[s.name]}/{len(stages)}] {s.name}: {command}")
                    log_path = logs / f"{s.name}.log"
                    running[s.name] = (s, _stage_process(s.argv, s.stdout, log_path, quiet, threads),
                                       time.perf_counter(), command, log_path)
                    pending.remove(s)
            if not running:
                raise SpokenW2VError("demo: stages wait on each other (a cycle in the plan)")
            time.sleep(0.05)
            for name, (s, proc, t, command, log_path) in list(running.items()):
                code = proc.poll()
                if code is None:
                    continue
                del running[name]
                if code in (130, -signal.SIGINT):  # the stage was interrupted (Ctrl-C)
                    raise KeyboardInterrupt
                if code != 0:
                    raise SpokenW2VError(f"demo: stage {name} failed (exit {code}); its log ({log_path}) ends:\n"
                                         f"{_tail(log_path)}\nFix the cause and re-run the demo, or run the "
                                         f"stage alone: {command}")
                seconds = time.perf_counter() - t
                timings.append((name, seconds))
                atomic_write_text(logs / f"{name}.done", f"{command}\n{seconds:.1f} s\n")
                finished.add(name)
                log(f"[{number[name]}/{len(stages)}] {name}: finished in {seconds:.0f} s")
    finally:
        for s, proc, *_ in running.values():  # a failure or Ctrl-C: stop the stages still running
            if proc.poll() is None:
                proc.terminate()
        for s, proc, *_ in running.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return timings


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
    jobs: int = ranged(NON_NEGATIVE, 0, "--jobs", "-j", help="Synthesis worker processes, and stages run side by "
                       "side (0 = one per CPU core)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda for the neural models."),
    k: int = ranged(Range(2, MAX_COUNT), 100, "--k", help="Number of k-means units over the MFCC frames."),
    hop_ms: int = ranged(HOP_MS, 20, "--hop-ms", help="MFCC frame hop in milliseconds (20: 50 frames/s; 10: the "
                         "100 frames/s of earlier demos)."),
    char_epochs: int = ranged(POSITIVE, 60, "--char-epochs", help="Epochs of the character models (two-stage, e2e)."),
    unit_epochs: int = ranged(POSITIVE, 45, "--unit-epochs", help="Epochs of the unit models (two-stage, e2e) on the "
                                        "one-voice speech."),
    voices_epochs: int = ranged(NON_NEGATIVE, 0, "--voices-epochs",
                                help="Add the harder rung: e2e for this many epochs on the units of the same "
                                     "text spoken in 24 voice settings (about 5 more minutes on 2 cores for 15 "
                                     "epochs; 0 = leave it out)."),
    textless_epochs: int = ranged(NON_NEGATIVE, 0, "--textless-epochs",
                                  help="Add the textless rung: the text spoken continuously (no pauses between "
                                       "words), words discovered without a transcript (discover), and e2e for this "
                                       "many epochs with label-free word types, beside the same model on the "
                                       "engine's word boundaries (0 = leave it out)."),
    ae_epochs: int = ranged(NON_NEGATIVE, 0, "--ae-epochs", help="Auto-encoder epochs of the two-stage models "
                            "(0 = 30 for characters, 5 for units)."),
    quiet: bool = QuietOption,
) -> None:
    """Run the whole pipeline on the embedded demo corpus (no download): synthesize the text
    in one espeak-ng voice, MFCC features, k-means units, then the text baseline, the
    character two-stage and end-to-end models, the unit models (45 epochs: long enough for
    the end-to-end model to learn meaning from the units), a clustering-noise sweep, one
    evaluation table with its null rows and the training-curve and sweep figures.
    --voices-epochs N adds the harder rung: the same text in 24 synthesized voice settings;
    --textless-epochs N the rung without a transcript: continuous speech, discovered words.

    Every stage is logged as the spokenw2v command that re-runs it alone.  Re-running the
    demo into the same directory keeps the stages that finished (delete a stage's output
    or OUT/logs/STAGE.done to redo it and every stage that reads its outputs).
    """
    from ..corpus import demo_corpus
    from ..demo import DemoConfig, layout, pipeline_statistics
    from ..io import (DEMO_FORMAT, NOISE_REPORT_FORMAT, WORD_UNITS_REPORT_FORMAT, atomic_write_text, read_record,
                      read_segments, read_tsv, read_units, record_payload, write_record, write_tsv)
    from .demo_plan import plan
    from .synthesize import default_jobs

    def log(message: str) -> None:  # one line per message, never wrapped: commands stay copyable
        if not quiet:
            err_console.print(message, highlight=False, markup=False, soft_wrap=True)

    refuse_stdio(out, "OUT", "the demo writes a directory")
    from ..devices import resolve_device

    resolve_device(device)  # --device is checked before any stage runs, like every other option
    check_output_dir(out, marked_by(DEMO_RECORD, "a demo run directory"), "expected a demo run directory")
    cfg = DemoConfig(words=words, seed=seed, jobs=jobs if jobs > 0 else default_jobs(), device=device, k=k,
                     hop_ms=hop_ms, char_epochs=char_epochs, unit_epochs=unit_epochs, voices_epochs=voices_epochs,
                     textless_epochs=textless_epochs, char_ae_epochs=ae_epochs or 30, unit_ae_epochs=ae_epochs or 5)
    p = layout(out)
    record = {"words": words, "seed": seed, "device": device, "k": k, "hop_ms": hop_ms, "char_epochs": char_epochs,
              "unit_epochs": unit_epochs, "voices_epochs": voices_epochs, "ae_epochs": ae_epochs}
    if textless_epochs > 0:  # recorded only when asked, so earlier demo directories still resume
        record["textless_epochs"] = textless_epochs
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / DEMO_RECORD
    if record_path.is_file():
        try:
            found = record_payload(json.loads(record_path.read_text(encoding="utf-8")), DEMO_FORMAT, record_path)
        except (json.JSONDecodeError, UnicodeDecodeError):
            found = None
        if found != record:
            raise SpokenW2VError(f"{out}: holds a demo run with other settings ({record_path}); "
                                 f"use another directory or remove it")
    else:
        write_record(record_path, DEMO_FORMAT, record)

    t0 = time.perf_counter()
    log(f"demo: the whole pipeline in {out} (the first {words} words of the King James Version; "
        f"every stage below is one spokenw2v command you can re-run alone)")
    if not p["text"].is_file():
        lines = demo_corpus(words)
        atomic_write_text(p["text"], "\n".join(lines) + "\n")
    log(f"[0] demo text: {p['text']} (python3 -c 'from spokenw2v.corpus import demo_corpus; "
        f"print(chr(10).join(demo_corpus({words})))' > {p['text']})")

    stages = plan(out, cfg)
    parallel = max(1, min(cfg.jobs, os.cpu_count() or 1))
    threads = max(1, (os.cpu_count() or 1) // parallel)
    log(f"demo: {len(stages)} stages, up to {parallel} side by side ({threads} thread{'s' if threads > 1 else ''} "
        f"each); each stage's log is in {p['logs']}/STAGE.log")
    timings = run_stages(stages, p["logs"], parallel, threads, quiet, log)

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
        f"of the words ({char_epochs} epochs); *-units = MFCC k-means units (k = {k}, {1000 / hop_ms:g} frames/s) of the "
        f"words spoken by "
        f"one synthesized voice (espeak-ng en-us, 170 wpm; {unit_epochs} epochs)"
        + (f"; e2e-units-voices = e2e on the text spoken in 24 synthesized voice settings (en-us, en-gb "
           f"x 4 variants x 3 rates), MFCC warped per speaker (featurize --vtln auto), consensus units "
           f"(word-units --consensus, radius {cfg.voices_radius:g}); {voices_epochs} epochs"
           if voices_epochs > 0 else "")
        + "; two-stage = frozen auto-encoder + SGNS, e2e = end-to-end; substitute-R = text model (another "
          "seed) with a fraction R of the tokens replaced (clustering noise). A: Pearson r with the "
          "reference's distances; A_partial: the same with spelling (edit distance) and word frequency "
          "partialled out, the part of A that only meaning explains; A_sem: A on the semantic pairs alone; "
          "B: Pearson r with edit distance (orthographic). Null rows are the floors: a distance that knows "
          "only word frequency, only spelling, or nothing (random vectors). Read A beside null:frequency, "
          "and A_partial beside 0.",
        highlight=False, soft_wrap=True)

    def describe(name: str, found: dict, path: Path) -> str:
        return (f"{name} (MFCC at {1000 / hop_ms:g} frames/s, k = {k}, {path}): {found['mean_frames']:.1f} frames and "
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
        report = read_record(p["word_units_voices_report"], WORD_UNITS_REPORT_FORMAT)
        c, st = report["consensus"], report["statistics"]
        out_console.print(
            f"Their consensus units ({p['word_units_voices']}, what e2e-units-voices reads): {c['modes']:,} modes "
            f"among {st['tokens']:,} tokens; {st['mean_sequences_per_type']:.2f} distinct unit sequences per word "
            f"type; two tokens of a type share their sequence {100 * st['same_type_share']:.1f}% of the time "
            f"(types with >= 10 tokens); the mode of {100 * c['mode_same_word']:.1f}% of tokens is a token of the "
            f"same word.", highlight=False, soft_wrap=True)
    if textless_epochs > 0:
        found = read_record(p["found_report"], NOISE_REPORT_FORMAT)["runs"][0]
        out_console.print(
            f"Textless rung ({p['found']}): `discover` found {found['segments_out']:,} word tokens in the continuous "
            f"speech (no pauses between most words) without a transcript: boundary F1 {found['boundary_f1']:.2f} "
            f"(precision {found['boundary_precision']:.2f}, recall {found['boundary_recall']:.2f}, "
            f"{1000 * found['tolerance_s']:.0f} ms), token F1 {found['token_f1']:.2f} against the engine's word times. "
            f"e2e-textless trains on them with label-free word types (train --types sequences: no word label is "
            f"read before evaluation), e2e-textless-gold is the same model on the engine's word boundaries; "
            f"both are scored through the gold word each token overlaps most (label-vectors); "
            f"{textless_epochs} epochs.", highlight=False, soft_wrap=True)
    out_console.print(
        f"Figures: {p['curves']} (A and B per epoch), {p['sweep_png']} (noise sweep). Full evaluation with "
        f"word-similarity benchmarks and nearest neighbours: {p['logs'] / 'evaluate.txt'}, {p['results']}.",
        highlight=False, soft_wrap=True)
    total = time.perf_counter() - t0
    slowest = ", ".join(f"{n} {s:.0f} s" for n, s in sorted(timings, key=lambda x: -x[1])[:4])
    log(f"demo: finished in {total / 60:.1f} min" + (f" (slowest stages: {slowest})" if slowest else ""))
