"""examples/unit_ladder.sh runs end to end in its tiny mode (TINY=1)."""

from __future__ import annotations

import shutil

import pytest

from spokenw2v.io import read_tsv, read_word_units
from helpers import EXAMPLES, example_env as _env, run_example as _run, requires_espeak

pytestmark = [pytest.mark.slow, requires_espeak,
              pytest.mark.skipif(shutil.which("bible") is None, reason="needs the Debian package bible-kjv")]


def test_unit_ladder_tiny(tmp_path):
    out = tmp_path / "ladder"
    _run([EXAMPLES / "unit_ladder.sh", out], _env(), tmp_path)
    _, rows = read_tsv(out / "ladder.tsv", ["rung", "kind", "sequences_per_type", "A", "A_partial", "B"])
    got = [(r["rung"], r["kind"]) for _, r in rows]
    rungs = ["letters", "phonemes", "letters-sub-0.20", "phonemes-sub-0.20", "mfcc-one", "mfcc-voices"]
    assert got[: 2 * len(rungs)] == [(r, k) for r in rungs for k in ("e2e", "two-stage")]
    assert [r for r, k in got if k == "null"] == ["null:frequency", "null:spelling", "null:random"]
    spt = {r["rung"]: float(r["sequences_per_type"]) for _, r in rows if r["kind"] == "e2e"}
    assert spt["letters"] == 1.0 and spt["letters-sub-0.20"] > 1.0 and spt["mfcc-voices"] >= spt["mfcc-one"] > 1.0
    # the letters rung is the words' characters; every rung covers the same tokens
    letters = read_word_units(out / "rungs" / "letters.tsv")
    assert ["".join(letters.symbols[j] for j in q) for q in letters.sequences] == letters.seg.word
    assert read_word_units(out / "rungs" / "mfcc-one.tsv").seg.word == letters.seg.word
    assert (out / "ladder.png").stat().st_size > 10_000
