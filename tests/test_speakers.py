"""Across- and within-speaker measures of word unit sequences (spokenw2v.speakers) and
word-units' --speakers / --speaker-pattern, against values worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import FrameInfo, Ragged, Segments, read_speakers, write_segments, write_units
from spokenw2v.speakers import speaker_discrimination, token_speakers

from helpers import assert_one_error_line

#: token: (word, speaker, units)
TOKENS = [("a", "p", [1, 2, 3]), ("a", "q", [1, 2, 4]), ("b", "p", [5, 6, 7]), ("b", "q", [1, 2, 5]),
          ("a", "p", [1, 2, 3, 4])]


def _measure(triplets=20000, seed=0, tokens=TOKENS):
    return speaker_discrimination([np.array(t[2]) for t in tokens], [t[0] for t in tokens],
                                  [t[1] for t in tokens], triplets=triplets, seed=seed)


def test_across_speaker_abx_equals_the_hand_computation():
    # Each (word w, B's speaker) is drawn with probability 1/4, then the tokens uniformly.
    # d = Levenshtein / longer length; error when d(A, B) > d(X, B), a tie one half.
    # (a, B by p): A = [1 2 4]; B = [1 2 3]: d 1/3 vs X = [5 6 7] 1 -> 0; B = [1 2 3 4]: 1/4 vs 1 -> 0
    # (a, B by q): B = [1 2 4], X = [1 2 5] (1/3); A = [1 2 3]: 1/3 tie -> .5; A = [1 2 3 4]: 1/4 -> 0
    # (b, B by p): A = [1 2 5], B = [5 6 7]: d 1; X = [1 2 3] or [1 2 3 4]: d 1, ties -> .5
    # (b, B by q): A = [5 6 7], B = [1 2 5]: d 1; X = [1 2 4]: d 1/3 -> 1
    m = _measure()
    assert m["abx_across"] == pytest.approx((0 + 0.25 + 0.5 + 1) / 4, abs=0.015)
    assert m["same_word_across"] == pytest.approx((2 * (1 / 3 + 1 / 4) / 2 + 1 + 1) / 4, abs=0.01)
    assert m["different_words"] == pytest.approx((1 + 1 / 3 + 1 + 1 / 3) / 4, abs=0.01)
    # within: only p said a word twice: A, B = [1 2 3], [1 2 3 4] (d 1/4), X = [5 6 7] (d 1) -> 0
    assert m["abx_within"] == 0.0 and m["same_word_within"] == pytest.approx(0.25)
    assert (m["speakers"], m["across_types"], m["within_types"]) == (2, 2, 1)


def test_speakers_are_what_the_across_measure_reads():
    # the same sequences with every token given one speaker: nothing is said by two speakers
    one = [(w, "p", u) for w, _, u in TOKENS]
    m = _measure(tokens=one)
    assert m["abx_across"] is None and m["same_word_across"] is None and m["abx_within"] is not None
    # seeded: same seed same result, another seed another sample
    assert _measure(triplets=500, seed=1) == _measure(triplets=500, seed=1)
    assert _measure(triplets=500, seed=1)["abx_across"] != _measure(triplets=500, seed=2)["abx_across"]


def test_token_speakers_and_speakers_file(tmp_path):
    assert token_speakers(["u1", "u2", "u1"], {"u1": "p", "u2": "q"}) == ["p", "q", "p"]
    with pytest.raises(SpokenW2VError, match="no speaker for utterance 'u3'"):
        token_speakers(["u3"], {"u1": "p"}, "spk.tsv")
    (tmp_path / "audio.tsv").write_text("utt\tpath\tspeaker\nu1\ta.wav\tp\nu2\tb.wav\tq\n")
    assert read_speakers(tmp_path / "audio.tsv") == {"u1": "p", "u2": "q"}
    (tmp_path / "bad.tsv").write_text("utt\tspeaker\nu1\t\n")
    with pytest.raises(SpokenW2VError, match="bad.tsv:2"):
        read_speakers(tmp_path / "bad.tsv")


def _files(tmp_path):
    """Units and segments of TOKENS: one utterance per token, ids p-0, q-1, ... (speaker first)."""
    info = FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature="mfcc")
    utts = [f"{s}-{j}" for j, (_, s, _) in enumerate(TOKENS)]
    frames = [np.repeat(np.array(u, dtype=np.int64), 10) for _, _, u in TOKENS]
    offsets = np.concatenate([[0], np.cumsum([len(f) for f in frames])])
    durations = np.array([len(f) / 100 for f in frames])
    write_units(tmp_path / "u.npz", Ragged(utts, offsets, np.concatenate(frames), durations, info), 10, "cb", "x")
    write_segments(tmp_path / "s.tsv", Segments(utts, np.zeros(len(utts)), durations, [t[0] for t in TOKENS]))
    (tmp_path / "spk.tsv").write_text("utt\tspeaker\n" + "".join(f"{u}\t{u[0]}\n" for u in utts))
    return ["word-units", str(tmp_path / "u.npz"), str(tmp_path / "s.tsv"), "--out", str(tmp_path / "o.tsv")]


def test_word_units_reports_the_across_speaker_measures(tmp_path):
    base = _files(tmp_path)
    r = CliRunner().invoke(app, [*base, "--report", str(tmp_path / "r.json"), "--speaker-pattern", "^([a-z]+)-",
                                 "--triplets", "20000"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "2 speakers, 2 words said by two or more: ABX error across speakers 43." in text
    assert "within a speaker 0.0%" in text
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["speakers"]["abx_across"] == pytest.approx(0.4375, abs=0.015)
    r = CliRunner().invoke(app, [*base, "--report", str(tmp_path / "r2.json"), "--speakers",
                                 str(tmp_path / "spk.tsv"), "--triplets", "20000"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "r2.json").read_text())["speakers"] == doc["speakers"]
    r = CliRunner().invoke(app, [*base, "--report", str(tmp_path / "r3.json")])
    assert json.loads((tmp_path / "r3.json").read_text())["speakers"] is None


def test_word_units_speaker_errors(tmp_path):
    base = _files(tmp_path)
    assert_one_error_line(CliRunner().invoke(app, [*base, "--speaker-pattern", "^(x)-"]), "does not match")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--speaker-pattern", "("]), "regular expression")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--speaker-pattern", "^(p)", "--speakers",
                                                   str(tmp_path / "spk.tsv")]), "not both")
    (tmp_path / "few.tsv").write_text("utt\tspeaker\np-0\tp\n")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--speakers", str(tmp_path / "few.tsv")]), "few.tsv",
                          "q-1")
    assert not (tmp_path / "o.tsv").exists()
