"""What spokenw2v demo prints, rendered from hand-made rows and records (no run): the table's
columns, missing cells, movement over training, row kinds, the paragraphs read by key."""

from pathlib import Path

from spokenw2v.demo import DemoConfig, DemoResult
from spokenw2v.demo.run import check_record
from spokenw2v.demo.table import (consensus_paragraph, festival_paragraph, model_line, results_table, statistics_paragraph,
                                  textless_paragraph)
from spokenw2v.errors import SpokenW2VError

import pytest

HEADING = ("model                  A  95% CI          A_partial  95% CI           A_sem       B  95% CI          "
           "A: epoch 0 → last  B: epoch 0 → last  epochs")


def scored(model, row, a, a_partial, a_sem, b):
    """A row of ``evaluate --tsv``: each score a (value, low, high) triple of strings."""
    cells = {"model": model, "row": row, "A_sem": a_sem}
    for key, (value, low, high) in (("A", a), ("A_partial", a_partial), ("B", b)):
        cells.update({key: value, f"{key}_low": low, f"{key}_high": high})
    return cells


def write_metrics(path: Path, rows):
    path.parent.mkdir(parents=True)
    path.write_text("epoch\tA\tB\n" + "".join(f"{e}\t{a}\t{b}\n" for e, a, b in rows))


def test_the_table_has_models_with_their_training_then_nulls_then_the_sweep(tmp_path):
    runs = tmp_path / "runs"
    write_metrics(runs / "e2e-units" / "metrics.tsv", [(0, "0.02", "0.5"), (1, "", ""), (3, "0.114", "0.28")])
    write_metrics(runs / "two-stage-units" / "metrics.tsv", [(0, "0.02", "0.5")])  # one epoch: no movement
    results = [
        scored("text", "model", ("1.0", "1.0", "1.0"), ("1", "1", "1"), "1.0", ("-0.02", "-0.18", "0.14")),
        scored("e2e-units", "model", ("0.11", "-0.12", "0.29"), ("0.16", "-0.05", "0.34"), "0.08",
               ("0.28", "0.11", "0.43")),
        scored("two-stage-units", "", ("-0.004", "", ""), ("", "", ""), "", ("0.5", "0.4", "")),
        scored("null:random", "null", ("0.03", "-0.13", "0.19"), ("0.02", "-0.13", "0.16"), "-0.001",
               ("-0.08", "-0.17", "0.0")),
        scored("e2e-units", "seeds", ("0.5", "0.4", "0.6"), ("0.5", "0.4", "0.6"), "0.5", ("0.5", "0.4", "0.6")),
    ]
    sweep = [scored("substitute-0.40", "model", ("0.28", "-0.08", "0.6"), ("0.26", "-0.09", "0.59"), "0.25",
                    ("0.09", "-0.12", "0.27"))]
    lines = results_table({"tokens": 12345, "types": 1234}, results, sweep, runs)
    assert lines == [
        "spokenw2v demo: 12,345 synthesized word tokens, 1,234 word types (metrics on the test half of the test words)",
        HEADING,
        "text               +1.00  [+1.00, +1.00]      +1.00  [+1.00, +1.00]   +1.00   -0.02  [-0.18, +0.14]",
        "e2e-units          +0.11  [-0.12, +0.29]      +0.16  [-0.05, +0.34]   +0.08   +0.28  [+0.11, +0.43]  "
        "+0.02 → +0.11      +0.50 → +0.28      3",
        "two-stage-units    -0.00                          -                       -   +0.50",
        "",
        "null:random        +0.03  [-0.13, +0.19]      +0.02  [-0.13, +0.16]   -0.00   -0.08  [-0.17, +0.00]",
        "",
        "substitute-0.40    +0.28  [-0.08, +0.60]      +0.26  [-0.09, +0.59]   +0.25   +0.09  [-0.12, +0.27]",
    ]


def test_a_run_whose_first_epoch_has_no_score_shows_no_movement(tmp_path):
    metrics = tmp_path / "runs" / "m" / "metrics.tsv"
    write_metrics(metrics, [(0, "", ""), (2, "0.3", "0.1")])
    row = scored("m", "model", ("0.3", "", ""), ("0.2", "", ""), "0.1", ("0.1", "", ""))
    assert model_line(row, metrics) == model_line(row) == (
        "m                  +0.30                      +0.20                   +0.10   +0.10")


def test_the_paragraphs_read_the_reports_by_key():
    report = {"consensus": {"modes": 2040, "mode_same_word": 0.9612}, "statistics": {
        "tokens": 6230, "mean_sequences_per_type": 1.634, "same_type_share": 0.3921}}
    assert consensus_paragraph(report, Path("d/word-units-voices.tsv")) == (
        "Their consensus units (d/word-units-voices.tsv, what e2e-units-voices reads): 2,040 modes among 6,230 "
        "tokens; 1.63 distinct unit sequences per word type; two tokens of a type share their sequence 39.2% of "
        "the time (types with >= 10 tokens); the mode of 96.1% of tokens is a token of the same word.")
    plain = {"speakers": {"abx_across": 0.036, "abx_within": 0.005}, "statistics": {"mean_sequences_per_type": 10.87}}
    cons = {"speakers": {"abx_across": 0.058, "abx_within": 0.016}, "statistics": {"mean_sequences_per_type": 2.236},
            "consensus": {"mode_same_word": 0.87}}
    assert festival_paragraph(plain, cons, "slt 0.80, kal 1.00", Path("d/wu-f.tsv")) == (
        "Festival's voices (warps slt 0.80, kal 1.00): their units' ABX error across speakers is 3.6% (within a "
        "speaker 0.5%; chance 50%); with consensus (d/wu-f.tsv, what e2e-units-festival reads) 5.8%, 2.24 distinct "
        "unit sequences per word type (before 10.87); the mode of 87.0% of tokens is a token of the same word.")
    found = {"segments_out": 675, "boundary_f1": 0.494, "boundary_precision": 0.47, "boundary_recall": 0.51,
             "tolerance_s": 0.02, "token_f1": 0.671}
    text = textless_paragraph(found, Path("d/found.tsv"), 7)
    assert text.startswith("Textless rung (d/found.tsv): `discover` found 675 word tokens in the continuous speech")
    assert "boundary F1 0.49 (precision 0.47, recall 0.51, 20 ms), token F1 0.67 against" in text
    assert text.endswith("(label-vectors); 7 epochs.")
    stats = {"mean_frames": 18.64, "mean_units": 7.1, "mean_sequences_per_type": 1.954, "unique_fraction": 0.9091,
             "boundary_tolerance": 0.02, "boundary_recall": 0.9587, "boundary_precision": 0.2134}
    assert statistics_paragraph("One voice", stats, Path("d/pipeline.tsv"), DemoConfig(k=16, hop_ms=10)) == (
        "One voice (MFCC at 100 frames/s, k = 16, d/pipeline.tsv): 18.6 frames and 7.10 units per word token "
        "(duplicates merged); 1.95 distinct unit sequences per word type; 90.9% of tokens have a sequence no other "
        "word shares; unit changes within 20 ms of 95.9% of word boundaries (precision 21.3%: most unit changes "
        "lie inside words).")


def test_the_record_holds_the_settings_and_refuses_other_ones(tmp_path):
    cfg = DemoConfig(words=600, jobs=7, ae_epochs=0)
    assert list(cfg.settings()) == ["words", "seed", "device", "k", "hop_ms", "char_epochs", "unit_epochs",
                                    "voices_epochs", "ae_epochs"]
    assert (cfg.char_ae_epochs, cfg.unit_ae_epochs) == (30, 5)
    assert DemoConfig(ae_epochs=2).unit_ae_epochs == 2
    assert DemoConfig(textless_epochs=3).settings()["textless_epochs"] == 3
    assert DemoConfig(festival_epochs=4).settings()["festival_epochs"] == 4
    check_record(tmp_path, cfg.settings())
    assert (tmp_path / "demo.json").read_text().startswith('{\n  "format": "spokenw2v-demo",\n  "version": 1,\n'
                                                           '  "words": 600,')
    check_record(tmp_path, DemoConfig(words=600, jobs=1).settings())  # jobs changes no result
    with pytest.raises(SpokenW2VError, match="holds a demo run with other settings"):
        check_record(tmp_path, DemoConfig(words=600, k=8).settings())


def test_the_closing_line_names_the_slowest_stages():
    timings = [("a", 1.0), ("b", 50.2), ("c", 3.0), ("d", 9.6), ("e", 0.2)]
    assert DemoResult("", timings, 125.0).closing_line() == (
        "demo: finished in 2.1 min (slowest stages: b 50 s, d 10 s, c 3 s, a 1 s)")
    assert DemoResult("", [], 6.0).closing_line() == "demo: finished in 0.1 min"
