"""Training without word labels (``train --types``) and its evaluation route (``label-vectors``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spokenw2v import io
from spokenw2v.data import NoiseSampler, sequence_types, subsample_mask, training_stream
from spokenw2v.errors import SpokenW2VError
from spokenw2v.textless import gold_word_vectors
from helpers import assert_one_error_line, invoke, unit_data

SMALL = ["--epochs", "2", "--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "--seed", "3", "-q"]


def _word_units(tmp_path):
    units, segments, seg = unit_data(tmp_path)
    table = tmp_path / "word-units.tsv"
    assert invoke("word-units", units, segments, "--out", table, "-q").exit_code == 0
    return table, segments


def _with_words(table, path, words):
    """A copy of the word-units TSV ``table`` with its word column replaced by ``words``."""
    lines = table.read_text().splitlines()
    header = lines[0].split("\t")
    col = header.index("word")
    out = [lines[0]]
    for line, w in zip(lines[1:], words):
        fields = line.split("\t")
        fields[col] = w
        out.append("\t".join(fields))
    path.write_text("\n".join(out) + "\n")
    return path


def test_sequence_types_are_frequency_ranked_distinct_sequences():
    seqs = [np.array([1, 2]), np.array([3]), np.array([4, 4, 1])]
    names, ids = sequence_types(np.array([0, 1, 1, 2, 2, 1, 0]), seqs)
    assert names == ["3", "1-2", "4-4-1"]  # 3 tokens; then 2 and 2, first appearance first
    assert ids.tolist() == [1, 0, 0, 2, 2, 0, 1]
    names, _ = sequence_types(np.array([0, 1]), [np.array([0, 1]), np.array([2])], symbols=["a", "b", "c"])
    assert names == ["a-b", "c"]


def test_label_free_stream_sampling_depends_only_on_the_sequences(tmp_path):
    """Subsampling and negatives draw by sequence type: other word labels change nothing."""
    table, _ = _word_units(tmp_path)
    wu = io.read_word_units(table)
    rng = np.random.default_rng(0)
    other = io.WordUnits(io.Segments(wu.seg.utt, wu.seg.start, wu.seg.end, list(rng.permutation(wu.seg.word)),
                                     wu.seg.extra), wu.sequences, wu.symbols, wu.k)
    a = training_stream([], wu.seg, wu, label_free=True).stream
    b = training_stream([], other.seg, other, label_free=True).stream
    labelled = training_stream([], wu.seg, wu).stream
    assert a.words == b.words and np.array_equal(a.word_ids, b.word_ids) and a.fingerprint() == b.fingerprint()
    # one type per distinct sequence, and back
    assert len(a.words) == a.n_sequences
    assert len(set(zip(a.word_ids.tolist(), a.seq_ids.tolist()))) == a.n_sequences
    assert len(labelled.words) < a.n_sequences  # the labels had merged several sequences into one type
    for s in (a, b):
        assert s.words[0] == "-".join(map(str, s.seq_values[s.seq_offsets[s.seq_ids[np.flatnonzero(s.word_ids == 0)[0]]]:
                                                            s.seq_offsets[s.seq_ids[np.flatnonzero(s.word_ids == 0)[0]] + 1]]))
    masks = [subsample_mask(s.type_counts(), s.word_ids, 1e-2, np.random.default_rng(5)) for s in (a, b, labelled)]
    assert np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[0], masks[2])
    draws = [NoiseSampler(s.word_ids, len(s.words), 0.75).sample(500, np.random.default_rng(7)) for s in (a, b, labelled)]
    assert np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[0], draws[2])


def test_shuffled_or_blank_word_column_gives_byte_identical_output(tmp_path):
    table, _ = _word_units(tmp_path)
    words = io.read_tsv(table, ["word"])[1]
    words = [row["word"] for _, row in words]
    shuffled = _with_words(table, tmp_path / "shuffled.tsv",
                           [str(w) for w in np.random.default_rng(1).permutation(words)])
    blank = _with_words(table, tmp_path / "blank.tsv", [""] * len(words))
    runs = {}
    for name, path in (("orig", table), ("shuffled", shuffled), ("blank", blank)):
        out = tmp_path / name
        r = invoke("train", "e2e", "--word-units", path, "--types", "sequences", "--out", out,
                   "--token-vectors", tmp_path / f"{name}.npz", *SMALL)
        assert r.exit_code == 0, r.output
        runs[name] = out
    vec = {n: (d / "vectors.vec").read_bytes() for n, d in runs.items()}
    assert vec["orig"] == vec["shuffled"] == vec["blank"]
    tvs = {n: io.read_token_vectors(tmp_path / f"{n}.npz") for n in runs}
    for n in ("shuffled", "blank"):
        assert tvs[n].vectors.tobytes() == tvs["orig"].vectors.tobytes()
        assert tvs[n].words == tvs["orig"].words and tvs[n].utt_ids == tvs["orig"].utt_ids
        assert tvs[n].start.tobytes() == tvs["orig"].start.tobytes()
    configs = {n: json.loads((d / "config.json").read_text()) for n, d in runs.items()}
    assert configs["orig"]["data"] == configs["blank"]["data"] and configs["orig"]["config"]["types"] == "sequences"
    assert not set(words) & set(io.read_vectors(runs["orig"] / "vectors.vec").words)  # keyed by sequences
    # the same check can fail: with the labels as types, shuffled labels change the vectors
    for name, path in (("orig-labels", table), ("shuffled-labels", shuffled)):
        r = invoke("train", "e2e", "--word-units", path, "--out", tmp_path / name, *SMALL)
        assert r.exit_code == 0, r.output
    a, b = (io.read_vectors(tmp_path / n / "vectors.vec") for n in ("orig-labels", "shuffled-labels"))
    assert a.words != b.words or not np.array_equal(a.vectors, b.vectors)


def test_label_free_run_resumes_with_its_types(tmp_path):
    table, _ = _word_units(tmp_path)
    out = tmp_path / "run"
    assert invoke("train", "e2e", "--word-units", table, "--types", "sequences", "--out", out, *SMALL).exit_code == 0
    r = invoke("train", "e2e", "--out", out, "--resume", "--epochs", "3", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["config"]["types"] == "sequences"
    r = invoke("train", "e2e", "--out", out, "--resume", "--epochs", "4", "--types", "labels", "-q")
    assert_one_error_line(r)


def test_label_free_segments_with_units_and_two_stage(tmp_path):
    units, segments, seg = unit_data(tmp_path)
    blank = tmp_path / "bounds.tsv"  # a segmenter's output: no word column at all
    io.write_segments(blank, io.Segments(seg.utt, seg.start, seg.end, None))
    out = tmp_path / "run"
    r = invoke("train", "two-stage", "--segments", blank, "--units", units, "--types", "sequences", "--ae-epochs",
               "1", "--out", out, "--token-vectors", tmp_path / "tv.npz", *SMALL)
    assert r.exit_code == 0, r.output
    assert len(io.read_token_vectors(tmp_path / "tv.npz").words) == len(seg)


def test_cluster_ids_are_the_types(tmp_path):
    table, _ = _word_units(tmp_path)
    n = len(io.read_word_units(table).seg)
    clusters = _with_words(table, tmp_path / "clusters.tsv", [f"c{i % 7}" for i in range(n)])
    out = tmp_path / "run"
    r = invoke("train", "e2e", "--word-units", clusters, "--types", "clusters", "--out", out, *SMALL)
    assert r.exit_code == 0, r.output
    assert sorted(io.read_vectors(out / "vectors.vec").words) == [f"c{i}" for i in range(7)]


@pytest.mark.parametrize("args, needle", [
    (["--reference", "REF"], "no per-epoch metrics"),
    (["--corpus", "TEXT"], "needs speech units"),
    (["--segments", "SEGS"], "needs speech units"),
])
def test_label_free_refusals(tmp_path, args, needle):
    table, segments = _word_units(tmp_path)
    text = tmp_path / "text.txt"
    text.write_text("a b c\n")
    ref = tmp_path / "ref.vec"
    ref.write_text("1 2\na 0.1 0.2\n")
    args = [{"REF": ref, "TEXT": text, "SEGS": segments}.get(a, a) for a in args]
    source = [] if "--corpus" in args or "--segments" in args else ["--word-units", table]
    r = invoke("train", "e2e", *source, *args, "--types", "sequences", "--out", tmp_path / "run", *SMALL)
    assert_one_error_line(r, needle)
    assert not (tmp_path / "run").exists()
    r = invoke("train", "oracle", "--segments", table, "--types", "clusters", "--out", tmp_path / "run", "-q")
    assert_one_error_line(r, "applies to e2e and two-stage")


def test_gold_word_vectors_by_hand():
    tv = io.TokenVectors(np.array([[1, 0], [3, 2], [0, 4], [9, 9], [5, 5]], dtype=np.float32),
                         ["x", "x", "x", "x", "x"], ["u", "u", "u", "u", "v"],
                         np.array([0.0, 0.5, 1.05, 2.0, 0.0]), np.array([0.5, 1.1, 1.5, 2.5, 0.3]))
    gold = io.Segments(["u", "u", "v"], np.array([0.0, 1.0, 0.0]), np.array([1.0, 1.5, 0.4]), ["a", "b", "a"])
    result = gold_word_vectors(tv, gold)
    # token 1 (0.5-1.1) overlaps a by 0.5 and b by 0.1: a; token 3 lies in silence: left out
    assert result.vectors.words == ["a", "b"] and result.no_word == 1 and result.tokens == 5
    np.testing.assert_allclose(result.vectors.vectors, [[3, 7 / 3], [0, 4]], rtol=1e-6)
    assert result.tokens_per_word.tolist() == [3, 1]
    with pytest.raises(SpokenW2VError, match="utterance w"):
        gold_word_vectors(io.TokenVectors(tv.vectors[:1], ["x"], ["w"], tv.start[:1], tv.end[:1]), gold)
    with pytest.raises(SpokenW2VError, match="no times"):
        gold_word_vectors(io.TokenVectors(tv.vectors[:1], ["x"], ["u"], np.full(1, np.nan), np.full(1, np.nan)), gold)


def test_label_free_chain_to_evaluate(tmp_path):
    """train --types sequences, label-vectors with the gold segments, then evaluate."""
    table, segments = _word_units(tmp_path)
    out = tmp_path / "run"
    r = invoke("train", "e2e", "--word-units", table, "--types", "sequences", "--out", out,
               "--token-vectors", tmp_path / "tv.npz", *SMALL)
    assert r.exit_code == 0, r.output
    r = invoke("label-vectors", tmp_path / "tv.npz", "--gold", segments, "--out", tmp_path / "words.vec", "-q")
    assert r.exit_code == 0, r.output
    words = io.read_vectors(tmp_path / "words.vec")
    gold = io.read_segments(segments, require_words=True)
    assert set(words.words) == set(gold.word)
    r = invoke("train", "text", "--segments", segments, "--out", tmp_path / "text", "--min-count", "1", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("evaluate", tmp_path / "words.vec", "--reference", tmp_path / "text" / "vectors.vec", "--corpus",
               segments, "--no-benchmarks", "--json", tmp_path / "eval.json")
    assert r.exit_code == 0, r.output
    r = invoke("label-vectors", tmp_path / "tv.npz", "--gold", tmp_path / "text" / "vectors.vec", "--out",
               tmp_path / "w2.vec")
    assert_one_error_line(r)
    assert not (tmp_path / "w2.vec").exists()
    before = (tmp_path / "tv.npz").read_bytes()
    r = invoke("label-vectors", tmp_path / "tv.npz", "--gold", segments, "--out", tmp_path / "tv.npz")
    assert_one_error_line(r, "also an input")
    assert (tmp_path / "tv.npz").read_bytes() == before
