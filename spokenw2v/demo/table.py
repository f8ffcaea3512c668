"""What ``spokenw2v demo`` prints at the end, as text: one table of the models, the null rows
and the noise sweep (scores with their 95 % intervals and their movement over training),
then a legend of the models, the pipeline statistics of the units, the many-voice, Festival
and textless rungs' figures and where the figures are."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from ..io import read_tsv
from ..numbers import fixed, is_missing
from ..wordunits import percent
from .config import DemoConfig

#: The width of a score with its interval, ``+0.12  [+0.01, +0.25]``, padded.
INTERVAL_WIDTH = 24
#: The width of a movement column, ``+0.01 → +0.25``, padded.
MOVE_WIDTH = 19
#: Values of a table's ``row`` column that mark a model's row (an empty cell: an older table).
MODEL_ROWS = ("", "model")


def as_number(text: object) -> float:
    """A table cell as a float; NaN where it holds no number."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def score(row: dict, key: str) -> str:
    """The score ``key`` of a row, signed with two decimals, six wide (``-`` where missing)."""
    return fixed(as_number(row.get(key, "")), 2, sign=True, width=6)


def score_with_interval(row: dict, key: str, pad: int = 0) -> str:
    """``value  [low, high]`` padded to 24 characters (``pad`` more, in front, for a wider
    heading); the interval is left out where either end is missing."""
    low, high = as_number(row.get(f"{key}_low", "")), as_number(row.get(f"{key}_high", ""))
    text = " " * pad + score(row, key)
    if not (is_missing(low) or is_missing(high)):
        text += f"  [{fixed(low, 2, sign=True)}, {fixed(high, 2, sign=True)}]"
    return f"{text:<{INTERVAL_WIDTH + pad}}"


def training_movement(metrics: Path) -> tuple[str, str, int]:
    """(A at epoch 0 -> last, B at epoch 0 -> last, epochs) from a run's ``metrics.tsv``;
    ("", "", 0) where there is no such file or it has fewer than two scored epochs."""
    if not metrics.is_file():
        return "", "", 0
    _, rows = read_tsv(metrics, ["epoch", "A", "B"])
    if len(rows) < 2 or math.isnan(as_number(rows[0][1]["A"])):
        return "", "", 0
    first, last = rows[0][1], rows[-1][1]

    def move(key: str) -> str:
        return f"{as_number(first[key]):+.2f} → {as_number(last[key]):+.2f}"

    return move("A"), move("B"), int(last["epoch"])


def model_line(row: dict, metrics: Optional[Path] = None) -> str:
    """One row of the table; with ``metrics`` (the run's ``metrics.tsv``) its movement over
    training too."""
    a_move, b_move, epochs = training_movement(metrics) if metrics is not None else ("", "", 0)
    return (f"{row['model']:<18}{score_with_interval(row, 'A')}{score_with_interval(row, 'A_partial', 3)}"
            f"{score(row, 'A_sem')}  {score_with_interval(row, 'B')}{a_move:<{MOVE_WIDTH}}{b_move:<{MOVE_WIDTH}}"
            f"{epochs if a_move else ''}").rstrip()


def results_table(stats: dict, results: list[dict], sweep: list[dict], runs: Path) -> list[str]:
    """The table's lines: a title with the corpus's size (``stats``: :func:`pipeline_statistics`),
    the heading, the models of ``results`` (rows of ``evaluate --tsv``; their training runs
    below ``runs``), its null rows, then the models of the ``sweep`` table, each group after a
    blank line."""
    lines = [f"spokenw2v demo: {stats['tokens']:,} synthesized word tokens, {stats['types']:,} word types "
             f"(metrics on the test half of the test words)",
             f"{'model':<18}{'A':>6}  {'95% CI':<16}{'A_partial':>9}  {'95% CI':<16}{'A_sem':>6}  "
             f"{'B':>6}  {'95% CI':<16}{'A: epoch 0 → last':<19}{'B: epoch 0 → last':<19}epochs"]
    lines += [model_line(row, runs / row["model"] / "metrics.tsv") for row in results
              if row.get("row", "") in MODEL_ROWS]
    lines.append("")
    lines += [model_line(row) for row in results if row.get("row") == "null"]
    lines.append("")
    lines += [model_line(row) for row in sweep if row.get("row", "") in MODEL_ROWS]
    return lines


def models_legend(cfg: DemoConfig) -> str:
    """What each model of the table is, and how to read A, A_partial, A_sem, B and the nulls."""
    voices = (f"; e2e-units-voices = e2e on the text spoken in 24 synthesized voice settings (en-us, en-gb "
              f"x 4 variants x 3 rates), MFCC warped per speaker (featurize --vtln auto), consensus units "
              f"(word-units --consensus, radius {cfg.consensus_radius:g}); {cfg.voices_epochs} epochs"
              if cfg.voices_epochs > 0 else "")
    voices += (f"; e2e-units-festival = e2e on the text spoken continuously by Festival's three voices (kal, ked: "
               f"diphone, male; slt: HTS, female), MFCC warped per speaker against the others (featurize --vtln "
               f"leave-one-out), two rounds of the correspondence autoencoder (cae), k-means units, consensus units "
               f"(radius {cfg.consensus_radius:g}); {cfg.festival_epochs} epochs" if cfg.festival_epochs > 0 else "")
    return (f"Models: text = gensim skipgram on the transcript (the reference); *-chars = character sequences "
            f"of the words ({cfg.char_epochs} epochs); *-units = MFCC k-means units (k = {cfg.k}, "
            f"{1000 / cfg.hop_ms:g} frames/s) of the words spoken by one synthesized voice (espeak-ng en-us, "
            f"170 wpm; {cfg.unit_epochs} epochs)" + voices
            + "; two-stage = frozen auto-encoder + SGNS, e2e = end-to-end; substitute-R = text model (another "
              "seed) with a fraction R of the tokens replaced (clustering noise). A: Pearson r with the "
              "reference's distances; A_partial: the same with spelling (edit distance) and word frequency "
              "partialled out, the part of A that only meaning explains; A_sem: A on the semantic pairs alone; "
              "B: Pearson r with edit distance (orthographic). Null rows are the floors: a distance that knows "
              "only word frequency, only spelling, or nothing (random vectors). Read A beside null:frequency, "
              "and A_partial beside 0.")


def statistics_paragraph(name: str, stats: dict, path: Path, cfg: DemoConfig) -> str:
    """The pipeline statistics of one speech (``stats`` as written to ``path``)."""
    return (f"{name} (MFCC at {1000 / cfg.hop_ms:g} frames/s, k = {cfg.k}, {path}): {stats['mean_frames']:.1f} "
            f"frames and {stats['mean_units']:.2f} units per word token (duplicates merged); "
            f"{stats['mean_sequences_per_type']:.2f} distinct unit sequences per word type; "
            f"{100 * stats['unique_fraction']:.1f}% of tokens have a sequence no other word shares; "
            f"unit changes within {1000 * stats['boundary_tolerance']:.0f} ms of "
            f"{100 * stats['boundary_recall']:.1f}% of word boundaries (precision "
            f"{100 * stats['boundary_precision']:.1f}%: most unit changes lie inside words).")


def consensus_paragraph(report: dict, path: Path) -> str:
    """The consensus units of the many-voice rung, from the payload of ``word-units --report``
    (read by its keys ``consensus`` and ``statistics``); ``path``: their word-units TSV."""
    consensus, stats = report["consensus"], report["statistics"]
    return (f"Their consensus units ({path}, what e2e-units-voices reads): {consensus['modes']:,} modes "
            f"among {stats['tokens']:,} tokens; {stats['mean_sequences_per_type']:.2f} distinct unit sequences "
            f"per word type; two tokens of a type share their sequence {100 * stats['same_type_share']:.1f}% of "
            f"the time (types with >= 10 tokens); the mode of {100 * consensus['mode_same_word']:.1f}% of tokens "
            f"is a token of the same word.")


def festival_paragraph(plain: dict, consensus: dict, warps: str, path: Path) -> str:
    """The units of the Festival rung across its speakers: ``plain`` and ``consensus`` the
    payloads of ``word-units --report`` (keys ``speakers``, ``statistics``, ``consensus``) on the
    units and on the consensus units (``path``: their TSV, what e2e-units-festival reads);
    ``warps`` the warp factors found, as "speaker factor" pairs."""
    before, after = plain["speakers"], consensus["speakers"]
    return (f"Festival's voices (warps {warps}): their units' ABX error across speakers is "
            f"{percent(before['abx_across'])} (within a speaker {percent(before['abx_within'])}; chance 50%); "
            f"with consensus ({path}, what e2e-units-festival reads) {percent(after['abx_across'])}, "
            f"{consensus['statistics']['mean_sequences_per_type']:.2f} distinct unit sequences per word type "
            f"(before {plain['statistics']['mean_sequences_per_type']:.2f}); the mode of "
            f"{100 * consensus['consensus']['mode_same_word']:.1f}% of tokens is a token of the same word.")


def textless_paragraph(found: dict, path: Path, epochs: int) -> str:
    """The textless rung: ``found`` is the run of ``label-segments --report`` scoring the
    words ``discover`` found (``path``) against the engine's word times."""
    return (f"Textless rung ({path}): `discover` found {found['segments_out']:,} word tokens in the continuous "
            f"speech (no pauses between most words) without a transcript: boundary F1 {found['boundary_f1']:.2f} "
            f"(precision {found['boundary_precision']:.2f}, recall {found['boundary_recall']:.2f}, "
            f"{1000 * found['tolerance_s']:.0f} ms), token F1 {found['token_f1']:.2f} against the engine's word "
            f"times. e2e-textless trains on them with label-free word types (train --types sequences: no word "
            f"label is read before evaluation), e2e-textless-gold is the same model on the engine's word "
            f"boundaries; both are scored through the gold word each token overlaps most (label-vectors); "
            f"{epochs} epochs.")


def figures_paragraph(paths: dict[str, Path]) -> str:
    """Where the figures and the full evaluation are (``paths``: the run's :func:`layout`)."""
    return (f"Figures: {paths['curves']} (A and B per epoch), {paths['sweep_png']} (noise sweep). Full evaluation "
            f"with word-similarity benchmarks and nearest neighbours: {paths['logs'] / 'evaluate.txt'}, "
            f"{paths['results']}.")
