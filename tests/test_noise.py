"""Segment scores and segmentation and clustering noise: hand-checked scores, realised rates, invariants, CLI."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers import assert_one_error_line
from spokenw2v import noise, segscores
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import (FrameInfo, Ragged, Segments, read_corpus, read_durations, read_segments, validate_segments,
                          write_features, write_segments, write_units)

runner = CliRunner()


def make_segments(rows) -> Segments:
    """rows: (utt, start, end[, word])."""
    words = [r[3] for r in rows] if rows and len(rows[0]) > 3 else None
    return Segments([r[0] for r in rows], np.array([r[1] for r in rows], float),
                    np.array([r[2] for r in rows], float), words)


def random_segments(n_utts: int = 400, words_per_utt: int = 25, seed: int = 1):
    """Words 0.1-0.5 s long; 60% touch the previous word, the rest follow a 0-0.3 s pause.
    Returns (segments, durations) with 0-0.5 s of silence at both ends of each utterance."""
    rng = np.random.default_rng(seed)
    rows, durations = [], {}
    for u in range(n_utts):
        t = rng.uniform(0, 0.5)
        for _ in range(words_per_utt):
            d = rng.uniform(0.1, 0.5)
            rows.append((f"u{u:04d}", t, t + d, f"w{rng.integers(60)}"))
            t += d + (0.0 if rng.random() < 0.6 else rng.uniform(0.0, 0.3))
        durations[f"u{u:04d}"] = t + rng.uniform(0, 0.5)
    return make_segments(rows), durations


@pytest.fixture(scope="module")
def big():
    return random_segments()


# --------------------------------------------------------------------------- hand-checked scores


def test_boundary_scores_hand_checked():
    ref = make_segments([("u", 0.10, 0.50, "a"), ("u", 0.50, 0.90, "b"), ("u", 1.00, 1.40, "c")])
    hyp = make_segments([("u", 0.12, 0.55), ("u", 0.55, 0.93), ("u", 0.93, 1.39)])
    # ref boundaries 0.10 0.50 0.90 1.00 1.40 (5); hyp 0.12 0.55 0.93 1.39 (4)
    # matches within 20 ms: 0.10-0.12 and 1.40-1.39 -> P = 2/4, R = 2/5, F1 = 4/9
    b = segscores.boundary_scores(ref, hyp, tolerance=0.02)
    assert (b.matched, b.hyp_boundaries, b.ref_boundaries) == (2, 4, 5)
    assert b.precision == pytest.approx(0.5)
    assert b.recall == pytest.approx(0.4)
    assert b.f1 == pytest.approx(4 / 9)
    # a 30 ms tolerance also matches 0.90-0.93 (but 0.93 only once: 1.00 stays unmatched)
    assert segscores.boundary_scores(ref, hyp, tolerance=0.03).matched == 3


def test_boundaries_matched_at_most_once_and_optimally():
    assert segscores.match_boundaries(np.array([1.0]), np.array([0.99, 1.01]), 0.02) == 1
    assert segscores.match_boundaries(np.array([0.99, 1.01]), np.array([1.0]), 0.02) == 1
    # nearest-first matching would pair 0.02-0.03 and lose both others; the maximum is 2
    assert segscores.match_boundaries(np.array([0.02, 0.04]), np.array([0.0, 0.03]), 0.02) == 2
    # an utterance missing from the hypothesis only adds misses
    ref = make_segments([("u", 0.1, 0.5, "a"), ("v", 0.1, 0.5, "b")])
    b = segscores.boundary_scores(ref, make_segments([("u", 0.1, 0.5)]))
    assert (b.precision, b.recall) == (1.0, 0.5)


def test_overlap_labels_and_token_scores_hand_checked():
    gold = make_segments([("u", 0.1, 0.5, "the"), ("u", 0.5, 0.9, "cat")])
    hyp = make_segments([("u", 0.10, 0.35), ("u", 0.35, 0.70), ("u", 0.70, 0.90), ("u", 1.0, 1.2)])
    labels = segscores.overlap_labels(hyp, gold)
    assert labels.word == ["the", "cat", "cat", segscores.NO_WORD]
    assert labels.overlap == pytest.approx([0.25, 0.20, 0.20, 0.0])
    t = segscores.token_scores(gold, hyp, labels)
    # only [0.10, 0.35) is > 50% one word AND covers > 50% of it (62.5% of "the");
    # [0.35, 0.70) and [0.70, 0.90) each cover exactly 50% of "cat": not a token
    assert t.correct == 1
    assert t.precision == pytest.approx(1 / 4)
    assert t.recall == pytest.approx(1 / 2)
    assert t.unambiguous == pytest.approx(3 / 4)  # the <sil> segment has no label
    # a tie goes to the earlier word and is ambiguous (exactly half of the segment)
    tie = make_segments([("u", 0.3, 0.7)])
    assert segscores.overlap_labels(tie, gold).word == ["the"]
    assert segscores.token_scores(gold, tie).unambiguous == 0.0


def test_no_noise_is_identity_with_f1_one(big):
    seg, durations = big
    out, counts = noise.segment_noise(seg, noise.SegmentNoiseConfig(seed=3), durations)
    assert np.array_equal(out.start, seg.start) and np.array_equal(out.end, seg.end)
    assert out.word == seg.word == out.extra["gold"]
    assert set(out.extra["op"]) == {"keep"}
    report = segscores.segment_report(seg, out)
    for key in ("boundary_precision", "boundary_recall", "boundary_f1", "token_f1", "unambiguous"):
        assert report[key] == 1.0
    assert counts.realised == {"delete": 0.0, "merge": 0.0, "split": 0.0, "insert": 0.0, "jitter_rms": 0.0}


# --------------------------------------------------------------------------- segment noise


def test_split_and_merge_by_hand():
    seg = make_segments([("u", 0.1, 0.5, "the"), ("u", 0.5, 0.9, "cat"), ("u", 1.0, 1.2, "sat")])
    split, c = noise.segment_noise(seg, noise.SegmentNoiseConfig(split=1.0))
    assert c.splits == 3 and len(split) == 6
    assert split.word == ["the", "the", "cat", "cat", "sat", "sat"]
    assert split.extra["op"] == ["split"] * 6
    assert np.array_equal(split.end[0::2], split.start[1::2])  # the halves touch
    assert np.all(split.end - split.start >= 0.02 - 1e-12)
    merged, c = noise.segment_noise(seg, noise.SegmentNoiseConfig(merge=1.0))
    assert (c.merge_opportunities, c.merged) == (2, 2)
    assert len(merged) == 1 and (merged.start[0], merged.end[0]) == (0.1, 1.2)
    assert merged.word == ["the"] and merged.extra["op"] == ["merge"]  # tie the/cat -> earlier
    deleted, c = noise.segment_noise(seg, noise.SegmentNoiseConfig(delete=1.0))
    assert len(deleted) == 0 and c.deleted == 3


def test_realised_rates_on_a_large_input(big):
    seg, durations = big  # 10,000 segments
    for op in ("delete", "merge", "split", "insert"):
        for rate in (0.1, 0.3):
            _, counts = noise.segment_noise(seg, noise.SegmentNoiseConfig(**{op: rate}, seed=5), durations)
            assert counts.realised[op] == pytest.approx(rate, abs=0.02), op
    # small jitter (5 ms) against words >= 100 ms: truncation is negligible
    _, counts = noise.segment_noise(seg, noise.SegmentNoiseConfig(jitter=0.005, seed=5), durations)
    assert counts.realised["jitter_rms"] == pytest.approx(0.005, rel=0.05)


def test_jitter_moves_boundaries_as_documented(big):
    seg, durations = big
    out, _ = noise.segment_noise(seg, noise.SegmentNoiseConfig(jitter=0.02, seed=0), durations)
    shifts = np.concatenate([out.start - seg.start, out.end - seg.end])
    assert abs(shifts.mean()) < 0.002
    # touching words share their boundary after jitter too
    touching = [(i, i + 1) for i in range(len(seg) - 1)
                if seg.utt[i] == seg.utt[i + 1] and seg.end[i] == seg.start[i + 1]]
    assert touching and all(out.end[i] == out.start[j] for i, j in touching)
    # about 68% of boundaries stay within one standard deviation -> boundary F1 near 0.68
    f1 = segscores.boundary_scores(seg, out, tolerance=0.02).f1
    assert 0.62 < f1 < 0.74


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_invariants_under_heavy_noise(seed):
    seg, durations = random_segments(n_utts=60, seed=10 + seed)
    config = noise.SegmentNoiseConfig(jitter=0.08, split=0.4, merge=0.3, delete=0.2, insert=0.5, seed=seed)
    out, counts = noise.segment_noise(seg, config, durations)
    validate_segments(out, "noisy", durations=durations, tolerance=0.0)  # start < end, no overlap, inside
    assert np.all(out.start >= 0)
    assert all(out.end[i] <= durations[u] + 1e-9 for i, u in enumerate(out.utt))
    assert np.all(out.end - out.start > 0)
    assert set(out.extra["op"]) <= set(noise.OPS)
    assert out.word == out.extra["gold"]
    assert counts.segments_out == len(out)


def test_insertions_go_into_silences_then_into_words():
    seg, durations = random_segments(n_utts=100, seed=4)
    out, counts = noise.segment_noise(seg, noise.SegmentNoiseConfig(insert=0.2, seed=1), durations)
    inserted = [i for i, op in enumerate(out.extra["op"]) if op == "insert"]
    assert counts.inserted == len(inserted) == counts.inserted_in_silence
    assert all(out.word[i] == segscores.NO_WORD for i in inserted)  # silence overlaps no word
    # no silence at all: words touch, the utterance starts at 0 and ends with its last word
    packed = make_segments([("u", 0.3 * k, 0.3 * (k + 1), f"w{k}") for k in range(2000)])
    out, counts = noise.segment_noise(packed, noise.SegmentNoiseConfig(insert=0.2, seed=1))
    assert counts.inserted_in_silence == 0
    assert counts.realised["insert"] == pytest.approx(0.2, abs=0.03)
    assert all(w != segscores.NO_WORD for w in out.word)
    validate_segments(out, "noisy", durations={"u": 600.0}, tolerance=0.0)


def test_same_seed_same_output(big):
    seg, durations = big
    config = noise.SegmentNoiseConfig(jitter=0.03, split=0.2, merge=0.2, delete=0.1, insert=0.1, seed=7)
    a, _ = noise.segment_noise(seg, config, durations)
    b, _ = noise.segment_noise(seg, config, durations)
    c, _ = noise.segment_noise(seg, noise.SegmentNoiseConfig(**{**config.__dict__, "seed": 8}), durations)
    assert np.array_equal(a.start, b.start) and a.extra == b.extra
    assert len(a) != len(c) or not np.array_equal(a.start, c.start)


def test_unlabelled_segments_get_ops_only():
    seg = make_segments([("u", 0.1, 0.5), ("u", 0.5, 0.9)])
    out, _ = noise.segment_noise(seg, noise.SegmentNoiseConfig(split=1.0))
    assert out.word is None and out.extra == {"op": ["split"] * 4}


@pytest.mark.parametrize("bad, message", [(dict(split=1.5), "split"), (dict(delete=-0.1), "delete"),
                                          (dict(jitter=-1.0), "jitter must be"),
                                          (dict(min_duration=0.0), "min_duration must be > 0")])
def test_bad_config_is_an_error(bad, message):
    seg = make_segments([("u", 0.1, 0.5, "a")])
    with pytest.raises(SpokenW2VError, match=message):
        noise.segment_noise(seg, noise.SegmentNoiseConfig(**bad))


# --------------------------------------------------------------------------- text noise


def zipf_corpus(n_lines: int = 4000, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    words = ["the", "of", "and", "people", "don't", "a"] + [f"word{k}" for k in range(14)]
    p = 1 / np.arange(1, len(words) + 1)
    p /= p.sum()
    return [[words[k] for k in rng.choice(len(words), size=rng.integers(5, 20), p=p)] for _ in range(n_lines)]


def test_text_noise_realised_rates():
    sentences = zipf_corpus()  # ~50,000 tokens
    for op in ("substitute", "merge", "split"):
        for rate in (0.1, 0.4):
            out, counts = noise.text_noise(sentences, noise.TextNoiseConfig(**{op: rate}, seed=2))
            assert counts.realised[op] == pytest.approx(rate, abs=0.01), op
            assert len(out) == len(sentences)
    out, counts = noise.text_noise(sentences, noise.TextNoiseConfig(substitute=0.3, seed=2))
    changed = sum(a != b for s, t in zip(sentences, out) for a, b in zip(s, t))
    assert changed == counts.substituted  # a substitute is always a different word


def test_text_noise_weighting():
    sentences = zipf_corpus()
    top = Counter(t for s in sentences for t in s).most_common(1)[0][0]

    def share_of_top(weighting):
        out, _ = noise.text_noise(sentences, noise.TextNoiseConfig(substitute=0.5, weighting=weighting, seed=0))
        new = [b for s, t in zip(sentences, out) for a, b in zip(s, t) if a != b]
        return new.count(top) / len(new)

    assert share_of_top(noise.Weighting.UNIFORM) == pytest.approx(1 / 19, abs=0.02)  # 20 types, never itself
    assert share_of_top(noise.Weighting.UNIGRAM) > 0.2


def test_text_noise_by_hand_and_nested():
    sentences = [["of", "the", "people"], ["don't", "go"]]
    merged, c = noise.text_noise(sentences, noise.TextNoiseConfig(merge=1.0))
    assert merged == [["ofthepeople"], ["don'tgo"]] and (c.merge_opportunities, c.merged) == (3, 3)
    split, c = noise.text_noise(sentences, noise.TextNoiseConfig(split=1.0, seed=4))
    assert c.splits == 5 and all(len(s) == 2 * len(t) for s, t in zip(split, sentences))
    assert ["".join(s[k:k + 2]) for s in split for k in range(0, len(s), 2)] == ["of", "the", "people", "don't", "go"]
    assert not any(p.startswith("'") or p.endswith("'") for s in split for p in s)
    clean, c = noise.text_noise(sentences, noise.TextNoiseConfig(seed=9))
    assert clean == sentences and c.substituted == 0
    # with one seed, the tokens substituted at 10% are also substituted at 20%
    corpus = zipf_corpus(500)
    low, _ = noise.text_noise(corpus, noise.TextNoiseConfig(substitute=0.1, seed=1))
    high, _ = noise.text_noise(corpus, noise.TextNoiseConfig(substitute=0.2, seed=1))
    pairs = [(a != b, a != c) for s, t, u in zip(corpus, low, high) for a, b, c in zip(s, t, u)]
    assert all(h for lo, h in pairs if lo)


def test_text_noise_needs_two_word_types():
    with pytest.raises(SpokenW2VError, match="at least two word types"):
        noise.text_noise([["amen", "amen"]], noise.TextNoiseConfig(substitute=0.1))


# --------------------------------------------------------------------------- CLI


def write_units_npz(path, durations: dict[str, float]) -> None:
    info = FrameInfo(frame_rate=50.0, frame_offset=0.0125, frame_width=0.025, feature="mfcc")
    arrays = [np.zeros(int(d * 50), dtype=np.int16) for d in durations.values()]
    write_units(path, Ragged.from_list(list(durations), arrays, list(durations.values()), info), 4, "cb.npz", "x")


@pytest.fixture
def small_files(tmp_path):
    seg, durations = random_segments(n_utts=20, seed=3)
    write_segments(tmp_path / "segs.tsv", seg)
    write_units_npz(tmp_path / "units.npz", durations)
    return tmp_path


def test_cli_segment_noise_sweep(small_files):
    d = small_files
    result = runner.invoke(app, ["segment-noise", str(d / "segs.tsv"), "--out", str(d / "sweep"), "--durations",
                                 str(d / "units.npz"), "--split", "0,0.1,0.25", "--jitter", "0.01", "--seed", "3",
                                 "--report", str(d / "report.json")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (d / "sweep").iterdir() if not p.name.startswith("."))
    assert names == ["split-0.00.tsv", "split-0.10.tsv", "split-0.25.tsv"]
    runs = json.loads((d / "report.json").read_text())["runs"]
    assert [r["split"] for r in runs] == [0.0, 0.1, 0.25] and all(r["jitter"] == 0.01 for r in runs)
    f1 = [r["boundary_f1"] for r in runs]
    assert f1[0] > f1[1] > f1[2]
    noisy = read_segments(d / "sweep" / "split-0.25.tsv", require_words=True)
    assert list(noisy.extra) == ["gold", "op"] and noisy.word == noisy.extra["gold"]
    assert runs[2]["segments_out"] == len(noisy)
    assert "bF1" in result.output  # the report table on stderr
    # same call again -> byte-identical outputs
    again = runner.invoke(app, ["segment-noise", str(d / "segs.tsv"), "--out", str(d / "one.tsv"), "--durations",
                                str(d / "units.npz"), "--split", "0.25", "--jitter", "0.01", "--seed", "3", "-q"])
    assert again.exit_code == 0 and again.output == ""
    assert (d / "one.tsv").read_text() == (d / "sweep" / "split-0.25.tsv").read_text()


def test_cli_durations_from_audio_list(tmp_path):
    sf.write(tmp_path / "u.wav", np.zeros(16000, dtype=np.float32), 16000)
    (tmp_path / "audio.tsv").write_text("utt\tpath\nu\tu.wav\n")
    write_segments(tmp_path / "segs.tsv", make_segments([("u", 0.2, 0.6, "a"), ("u", 0.6, 0.9, "b")]))
    result = runner.invoke(app, ["segment-noise", str(tmp_path / "segs.tsv"), "--out", str(tmp_path / "n.tsv"),
                                 "--durations", str(tmp_path / "audio.tsv"), "--jitter", "0.5", "-q"])
    assert result.exit_code == 0, result.output
    noisy = read_segments(tmp_path / "n.tsv", durations={"u": 1.0})
    assert noisy.end.max() <= 1.0 and noisy.start.min() >= 0.0


def test_read_durations_from_feature_shards(tmp_path):
    info = FrameInfo(frame_rate=100.0, frame_offset=0.0125, frame_width=0.025, feature="mfcc")
    for k, (utt, dur) in enumerate([("a", 1.5), ("b", 2.25)]):
        feats = np.zeros((int(dur * 100), 3), dtype=np.float16)
        write_features(tmp_path / "feats" / f"shard-{k}.npz", Ragged.from_list([utt], [feats], [dur], info))
    assert read_durations(tmp_path / "feats") == {"a": 1.5, "b": 2.25}
    np.savez(tmp_path / "other.npz", format=np.str_("spokenw2v-codebook"), version=np.int64(1))
    with pytest.raises(SpokenW2VError, match="expected a spokenw2v-features or spokenw2v-units file"):
        read_durations(tmp_path / "other.npz")


def test_cli_label_segments(tmp_path):
    gold = make_segments([("u", 0.1, 0.5, "the"), ("u", 0.5, 0.9, "cat"), ("v", 0.2, 0.4, "sat")])
    write_segments(tmp_path / "gold.tsv", gold)
    (tmp_path / "b.tsv").write_text("utt\tstart\tend\tscore\nu\t0.11\t0.35\t1\nu\t0.35\t0.91\t2\nu\t1.0\t1.2\t3\n")
    result = runner.invoke(app, ["label-segments", str(tmp_path / "b.tsv"), "--gold", str(tmp_path / "gold.tsv"),
                                 "--out", str(tmp_path / "lab.tsv"), "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    lab = read_segments(tmp_path / "lab.tsv", require_words=True)
    assert lab.word == ["the", "cat", segscores.NO_WORD] == lab.extra["gold"]
    assert list(lab.extra) == ["gold", "score"] and lab.extra["score"] == ["1", "2", "3"]
    (run,) = json.loads((tmp_path / "r.json").read_text())["runs"]
    # only utterance u is scored: ref 0.1 0.5 0.9; hyp 0.11 0.35 0.91 1.0 1.2 -> 2 matches
    assert run["boundary_precision"] == pytest.approx(2 / 5)
    assert run["boundary_recall"] == pytest.approx(2 / 3)
    # 0.11-0.35 covers 60% of "the"; 0.35-0.91 is 71% "cat" and covers all of it; 1.0-1.2 is <sil>
    assert run["token_precision"] == pytest.approx(2 / 3)
    assert run["token_recall"] == 1.0
    assert run["gold_segments"] == 2


def assert_clean_failure(result, *paths):
    """One ``Error:`` line and nothing else, and none of ``paths`` written."""
    assert_one_error_line(result)
    assert len(result.output.strip().splitlines()) == 1, result.output
    for p in paths:
        assert not p.exists()


def test_cli_bad_input(small_files, tmp_path):
    d = small_files
    segs = str(d / "segs.tsv")
    out = d / "bad"
    assert_clean_failure(runner.invoke(app, ["segment-noise", segs, "--out", str(out), "--split", "2"]), out)
    assert_clean_failure(runner.invoke(app, ["segment-noise", segs, "--out", str(out), "--split", "0.1,x"]), out)
    assert_clean_failure(runner.invoke(app, ["segment-noise", segs, "--out", str(out), "--split", "0,0.1",
                                             "--merge", "0,0.1"]), out)
    # an utterance the durations file lacks
    write_units_npz(d / "short.npz", {"u0000": 20.0})
    assert_clean_failure(runner.invoke(app, ["segment-noise", segs, "--out", str(out), "--durations",
                                             str(d / "short.npz")]), out)
    # overlapping input segments
    (d / "overlap.tsv").write_text("utt\tstart\tend\tword\nu\t0.1\t0.5\ta\nu\t0.4\t0.8\tb\n")
    assert_clean_failure(runner.invoke(app, ["segment-noise", str(d / "overlap.tsv"), "--out", str(out)]), out)
    # label-segments: gold without words; boundaries in an utterance the gold file lacks
    (d / "b.tsv").write_text("utt\tstart\tend\nzzz\t0.1\t0.5\n")
    assert_clean_failure(runner.invoke(app, ["label-segments", str(d / "b.tsv"), "--gold", str(d / "b.tsv"),
                                             "--out", str(out)]), out)
    assert_clean_failure(runner.invoke(app, ["label-segments", str(d / "b.tsv"), "--gold", segs,
                                             "--out", str(out)]), out)
    # text-noise: missing corpus, bad rate, a sweep into an existing file
    (d / "c.txt").write_text("in the beginning god created the heaven\n")
    assert_clean_failure(runner.invoke(app, ["text-noise", str(d / "none.txt"), "--out", str(out)]), out)
    assert_clean_failure(runner.invoke(app, ["text-noise", str(d / "c.txt"), "--out", str(out),
                                             "--substitute", "-0.1"]), out)
    assert_clean_failure(runner.invoke(app, ["text-noise", str(d / "c.txt"), "--out", segs,
                                             "--substitute", "0,0.1"]))


def test_cli_text_noise_sweep(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(" ".join(s) + "\n" for s in zipf_corpus(300)))
    result = runner.invoke(app, ["text-noise", str(corpus), "--out", str(tmp_path / "sw"), "--substitute",
                                 "0,0.2,0.4", "--weighting", "unigram", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "sw").iterdir() if not p.name.startswith(".")) == [
        "substitute-0.00.txt", "substitute-0.20.txt", "substitute-0.40.txt"]
    assert read_corpus(tmp_path / "sw" / "substitute-0.00.txt") == read_corpus(corpus)
    runs = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert [r["substitute"] for r in runs] == [0.0, 0.2, 0.4]
    assert [round(r["realised_substitute"], 1) for r in runs] == [0.0, 0.2, 0.4]
    assert all(r["weighting"] == "unigram" for r in runs)


def test_sweep_file_names():
    from spokenw2v.sweep import file_name_value

    assert [file_name_value(v) for v in (0, 0.1, 0.25, 0.005, 1)] == ["0.00", "0.10", "0.25", "0.005", "1.00"]


def test_the_report_table_explains_its_short_headers_and_prints_names_as_text(tmp_path):
    """Under the stderr table a ``Columns:`` line says what ``bF1``, ``unamb`` ... mean, and an
    output named ``a[1]`` keeps its brackets (a cell is text, not rich markup)."""
    segs = tmp_path / "segs.tsv"
    segs.write_text("utt\tstart\tend\tword\nu1\t0.0\t0.5\thello\nu1\t0.5\t1.0\tworld\n")
    result = runner.invoke(app, ["segment-noise", str(segs), "--merge", "0.5", "--seed", "1",
                                 "--out", str(tmp_path / "a[1].tsv")])
    assert result.exit_code == 0, result.output
    assert " a[1] " in result.stderr
    assert "bF1 boundary F1 (within --tolerance)" in result.stderr
    assert "unamb share of segments whose gold word is unambiguous" in result.stderr
