"""Formats: round trips, strict checks and the frame/time convention."""

import json

import numpy as np
import pytest

from spokenw2v import frames, io
from spokenw2v.errors import SpokenW2VError


def _info(feature="mfcc"):
    return io.FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature=feature)


# ----------------------------------------------------------------------------- tokenize / corpus

def test_tokenize_hand_checked():
    assert io.tokenize("Don't, STOP!  the 2 cats' toys--now") == ["don't", "stop", "the", "2", "cats", "toys", "now"]
    assert io.tokenize("  ;; ") == []
    assert io.tokenize("Café naïve_x") == ["café", "naïve", "x"]


def test_corpus_round_trip_and_empty(tmp_path):
    p = tmp_path / "c.txt"
    io.write_corpus(p, [["a", "b"], ["c"]])
    assert p.read_text() == "a b\nc\n"
    assert io.read_corpus(p) == [["a", "b"], ["c"]]
    (tmp_path / "e.txt").write_text("\n ,, \n")
    with pytest.raises(SpokenW2VError, match="e.txt: the corpus has no words"):
        io.read_corpus(tmp_path / "e.txt")


# ----------------------------------------------------------------------------- segments

def test_segments_round_trip_sorted(tmp_path):
    seg = io.Segments(["u2", "u1", "u1"], np.array([0.5, 1.0, 0.1]), np.array([0.9, 1.5, 0.4]), ["c", "b", "a"])
    p = tmp_path / "s.tsv"
    io.write_segments(p, seg)
    assert p.read_text().splitlines()[0] == "utt\tstart\tend\tword"
    back = io.read_segments(p)
    assert back.utt == ["u2", "u1", "u1"]
    assert back.word == ["c", "a", "b"]  # sorted by start within u1
    np.testing.assert_allclose(back.start, [0.5, 0.1, 1.0])


def test_segments_without_word_and_extra_columns(tmp_path):
    p = tmp_path / "b.tsv"
    p.write_text("utt\tstart\tend\top\nu\t0\t0.5\tkeep\nu\t0.5\t1\tsplit\n")
    seg = io.read_segments(p)
    assert seg.word is None and seg.extra == {"op": ["keep", "split"]}
    with pytest.raises(SpokenW2VError, match="word"):
        io.read_segments(p, require_words=True)


@pytest.mark.parametrize("body,message", [
    ("u\t0.5\t0.5\tw\n", r"s.tsv:2 \(utterance u\): empty segment"),
    ("u\t0.9\t0.5\tw\n", r"s.tsv:2 \(utterance u\): reversed segment"),
    ("u\t0.0\t0.6\tw\nu\t0.5\t0.9\tv\n", r"s.tsv:3 \(utterance u\): segment 0.5-0.9 s overlaps"),
    ("u\tx\t0.6\tw\n", r"s.tsv:2: start/end must be numbers"),
    ("u\t0.1\n", r"s.tsv:2: expected 4 tab-separated fields, found 2"),
    ("u\t0.1\t0.2\t\n", r"s.tsv:2: empty word"),
    ("", r"s.tsv: no segments"),
])
def test_segments_bad_input(tmp_path, body, message):
    p = tmp_path / "s.tsv"
    p.write_text("utt\tstart\tend\tword\n" + body)
    with pytest.raises(SpokenW2VError, match=message):
        io.read_segments(p)


def test_segments_past_end_of_audio(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("utt\tstart\tend\tword\nu\t0.1\t2.5\tw\n")
    with pytest.raises(SpokenW2VError, match="past the end of the audio"):
        io.read_segments(p, durations={"u": 2.0})
    with pytest.raises(SpokenW2VError, match="has no audio"):
        io.read_segments(p, durations={"v": 2.0})
    assert len(io.read_segments(p, durations={"u": 2.49})) == 1  # within tolerance


def test_missing_header_and_file(tmp_path):
    p = tmp_path / "h.tsv"
    p.write_text("a\tb\n")
    with pytest.raises(SpokenW2VError, match=r"h.tsv:1: header lacks column\(s\) utt, start, end"):
        io.read_segments(p)
    with pytest.raises(SpokenW2VError, match="no such file"):
        io.read_segments(tmp_path / "nope.tsv")


# ----------------------------------------------------------------------------- NPZ formats

def test_features_round_trip_and_shards(tmp_path):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n, 3)).astype(np.float16) for n in (5, 0, 7)]
    feats = io.Ragged.from_list(["a", "b", "c"], arrays, [0.05, 0.0, 0.07], _info())
    io.write_features(tmp_path / "f.npz", feats)
    back = io.read_features(tmp_path / "f.npz")
    assert back.utt_ids == ["a", "b", "c"] and back.info == feats.info
    assert back.values.dtype == np.float16
    for u in range(3):
        np.testing.assert_array_equal(back[u], arrays[u])
    # a directory of shards streams in order
    d = tmp_path / "shards"
    d.mkdir()
    io.write_features(d / "part-0.npz", io.Ragged.from_list(["a"], arrays[:1], [0.05], _info()))
    io.write_features(d / "part-1.npz", io.Ragged.from_list(["c"], arrays[2:], [0.07], _info()))
    assert [s.utt_ids for s in io.iter_features(d)] == [["a"], ["c"]]
    assert io.features_info(d) == (_info(), 3)


@pytest.mark.parametrize("second, message", [
    (lambda a: io.Ragged.from_list(["c"], [a[:, :2]], [0.07], _info()), "a shard has 2 feature dimensions, others 3"),
    (lambda a: io.Ragged.from_list(["c"], [a], [0.07], _info("hubert")), "a shard describes"),
])
def test_the_shards_of_one_source_must_agree(tmp_path, second, message):
    a = np.zeros((4, 3), dtype=np.float16)
    d = tmp_path / "shards"
    d.mkdir()
    io.write_features(d / "part-0.npz", io.Ragged.from_list(["a"], [a], [0.04], _info()))
    io.write_features(d / "part-1.npz", second(a))
    with pytest.raises(SpokenW2VError, match=f"part-1.npz: {message}"):
        list(io.iter_features(d))


def test_npz_loaded_without_pickle_and_format_checked(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, format=np.str_("something-else"), version=np.int64(1))
    with pytest.raises(SpokenW2VError, match="expected a spokenw2v-features file, found something-else"):
        io.read_features(p)
    (tmp_path / "garbage.npz").write_bytes(b"not a zip")
    with pytest.raises(SpokenW2VError, match=r"garbage.npz: not an NPZ file \(expected a zip of NumPy arrays, spokenw2v-codebook\)$"):
        io.read_codebook(tmp_path / "garbage.npz")
    (tmp_path / "segs.tsv").write_text("utt\tstart\tend\tword\n")  # a text file given where an NPZ belongs
    with pytest.raises(SpokenW2VError, match=r"segs.tsv: not an NPZ file") as exc:
        io.read_units(tmp_path / "segs.tsv")
    assert "allow_pickle" not in str(exc.value)
    obj = tmp_path / "obj.npz"
    np.savez(obj, format=np.str_("spokenw2v-features"), version=np.int64(1), utt_ids=np.array([["a"], ["bb", "c"]], dtype=object))
    with pytest.raises(SpokenW2VError, match="obj.npz: not a readable NPZ"):
        io.read_features(obj)


def test_units_and_codebook_round_trip(tmp_path):
    info = _info()
    units = io.Ragged.from_list(["a", "b"], [np.array([1, 1, 2]), np.array([0])], [0.03, 0.01], info)
    io.write_units(tmp_path / "u.npz", units, k=3, codebook_path="cb.npz", codebook_id="abc")
    u = io.read_units(tmp_path / "u.npz")
    assert u.k == 3 and u.codebook_id == "abc" and u.frames.values.dtype == np.int16
    np.testing.assert_array_equal(u.frames[0], [1, 1, 2])
    bad = io.Ragged.from_list(["a"], [np.array([5])], [0.01], info)
    io.write_units(tmp_path / "bad.npz", bad, k=3, codebook_path="cb.npz", codebook_id="abc")
    with pytest.raises(SpokenW2VError, match=r"bad.npz: unit ids outside \[0, 3\)"):
        io.read_units(tmp_path / "bad.npz")
    cb = io.Codebook(np.eye(3, dtype=np.float32), np.zeros(3, np.float32), np.ones(3, np.float32), 7, info, 0.1, 1.5)
    io.write_codebook(tmp_path / "cb.npz", cb)
    back = io.read_codebook(tmp_path / "cb.npz")
    assert back.k == 3 and back.seed == 7 and back.info == info and back.fingerprint() == cb.fingerprint()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.vec"
    with pytest.raises(RuntimeError, match="boom"):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with io.atomic_path(tmp_path / "dir") as tmp:
        tmp.mkdir()
        (tmp / "a").write_text("x")
    assert (tmp_path / "dir" / "a").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


# ----------------------------------------------------------------------------- word vectors

def test_vectors_round_trip_loads_in_gensim(tmp_path):
    from gensim.models import KeyedVectors

    wv = io.WordVectors(["cat", "dog"], np.array([[1.0, 0.5], [-0.25, 2.0]], np.float32))
    io.write_vectors(tmp_path / "v.vec", wv)
    back = io.read_vectors(tmp_path / "v.vec")
    assert back.words == ["cat", "dog"]
    np.testing.assert_allclose(back.vectors, wv.vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.vec"))
    np.testing.assert_allclose(kv["dog"], [-0.25, 2.0])


@pytest.mark.parametrize("text,message", [
    ("2 2\na 1 2\n", r"header promises 2 words, file has 1"),
    ("1 3\na 1 2\n", r"v.vec:2: expected a word and 3 numbers, found 2"),
    ("2 1\na 1\na 2\n", r"v.vec:3: duplicate word 'a' \(first on line 2\)"),
    ("hello\n", r"v.vec:1: expected a word2vec header"),
    ("1 1\na nan\n", r"v.vec:2: non-finite"),
    ("1 1\na x\n", r"v.vec:2: non-numeric"),
])
def test_vectors_bad_input(tmp_path, text, message):
    (tmp_path / "v.vec").write_text(text)
    with pytest.raises(SpokenW2VError, match=message):
        io.read_vectors(tmp_path / "v.vec")


# ----------------------------------------------------------------------------- frames

def test_frame_range_hand_checked():
    mfcc = _info()  # frame i centred at i * 10 ms
    # centres 0.10, 0.11, ..., 0.19 lie in [0.10, 0.20)
    assert frames.frame_range(0.10, 0.20, mfcc, 1000) == (10, 20)
    assert frames.frame_range(0.101, 0.2001, mfcc, 1000) == (11, 21)
    # clipped to the utterance
    assert frames.frame_range(0.95, 1.2, mfcc, 100) == (95, 100)
    # a segment shorter than a frame gets the nearest frame
    assert frames.frame_range(0.1011, 0.1049, mfcc, 1000) == (10, 11)
    ssl = io.FrameInfo(50.0, 0.0125, 0.025, "hubert")  # centres 12.5 ms + 20 ms * i
    assert frames.frame_range(0.0, 0.1, ssl, 100) == (0, 5)  # centres .0125 .0325 .0525 .0725 .0925
    assert frames.frame_range(0.0925, 0.0926, ssl, 100) == (4, 5)
    np.testing.assert_allclose(frames.frame_time(np.array([0, 2]), ssl), [0.0125, 0.0525])


def test_adjacent_segments_share_no_frame():
    info = _info()
    bounds = np.sort(np.random.default_rng(1).uniform(0, 3, size=40))
    owned = [frames.frame_range(a, b, info, 300) for a, b in zip(bounds[:-1], bounds[1:]) if b - a > 0.011]
    seen = set()
    for i0, i1 in owned:
        assert not seen & set(range(i0, i1))
        seen |= set(range(i0, i1))


def test_merge_duplicates_and_word_units():
    np.testing.assert_array_equal(frames.merge_duplicates(np.array([5, 5, 3, 3, 3, 5])), [5, 3, 5])
    assert frames.merge_duplicates(np.array([], dtype=np.int64)).size == 0
    info = _info()
    units = io.Units(io.Ragged.from_list(["u"], [np.array([1, 1, 2, 2, 3, 3, 3, 4, 4, 4])], [0.1], info), 5, "cb", "id")
    seg = io.Segments(["u", "u"], np.array([0.0, 0.04]), np.array([0.04, 0.1]), ["a", "b"])
    seqs, kept = frames.word_unit_sequences(units, seg)
    assert [s.tolist() for s in seqs] == [[1, 2], [3, 4]] and kept.tolist() == [0, 1]
    seqs, _ = frames.word_unit_sequences(units, seg, merge=False)
    assert [s.tolist() for s in seqs] == [[1, 1, 2, 2], [3, 3, 3, 4, 4, 4]]
    missing = io.Segments(["v"], np.array([0.0]), np.array([0.1]), ["a"])
    with pytest.raises(SpokenW2VError, match=r"segs.tsv \(utterance v\): utterance is not in the units file"):
        frames.word_unit_sequences(units, missing, source="segs.tsv")
    values, offsets = frames.pack([np.array([1, 2]), np.array([3])])
    assert values.tolist() == [1, 2, 3] and offsets.tolist() == [0, 2, 3]


# --------------------------------------------------------------------------- JSON records


def test_json_record_round_trip_header_first(tmp_path):
    path = tmp_path / "r.json"
    io.write_record(path, io.EVALUATION_FORMAT, {"models": [1, 2], "a": None})
    text = path.read_text()
    assert text.startswith('{\n  "format": "spokenw2v-evaluation",\n  "version": 1,\n') and text.endswith("}\n")
    assert io.read_record(path, io.EVALUATION_FORMAT) == {"models": [1, 2], "a": None}
    with pytest.raises(ValueError):
        io.record_text(io.EVALUATION_FORMAT, {"version": 3})


def test_json_record_without_header_is_read_and_newer_versions_are_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"runs": []}')  # written before records carried a header
    assert io.read_record(path, io.NOISE_REPORT_FORMAT) == {"runs": []}
    path.write_text('{"format": "spokenw2v-noise-report", "version": 2, "runs": []}')
    with pytest.raises(SpokenW2VError, match="version 2 is newer than this spokenw2v reads"):
        io.read_record(path, io.NOISE_REPORT_FORMAT)
    path.write_text('{"format": "spokenw2v-synthesis", "version": 1}')
    with pytest.raises(SpokenW2VError, match="expected a spokenw2v-noise-report record"):
        io.read_record(path, io.NOISE_REPORT_FORMAT)
    for text in ('[1, 2]', '{"version": "1"}', "{not json"):
        path.write_text(text)
        with pytest.raises(SpokenW2VError):
            io.read_record(path, io.NOISE_REPORT_FORMAT)


def test_run_config_with_or_without_header_marks_a_run_directory(tmp_path):
    from spokenw2v.rundir import check_run_dir, is_run_config, write_run_config

    write_run_config(tmp_path / "run", "text", {"epochs": 1}, {"corpus": "c.txt"}, 0)
    config = tmp_path / "run" / "config.json"
    doc = json.loads(config.read_text())
    assert list(doc)[:3] == ["format", "version", "spokenw2v"] and doc["format"] == io.RUN_CONFIG_FORMAT
    assert is_run_config(config)
    config.write_text(json.dumps({k: v for k, v in doc.items() if k not in ("format", "version")}))
    assert is_run_config(config)  # a run of an older spokenw2v
    check_run_dir(tmp_path / "run")
    config.write_text(json.dumps({**doc, "version": 2}))
    with pytest.raises(SpokenW2VError, match="version 2 is newer"):
        check_run_dir(tmp_path / "run")
    config.write_text(json.dumps({**doc, "format": "spokenw2v-synthesis"}))
    assert not is_run_config(config)
