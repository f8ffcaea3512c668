"""No command loses a user's data: outputs never clobber inputs, existing output directories
are replaced only when they are ours, readers fail with one ``Error:`` line naming the file,
shard sets are complete, and ``train`` locks, validates first and leaves no partial run.

Every data-loss case hashes the files it must not touch before and after the command."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error_line, invoke, make_tiny_speech, snapshot
from spokenw2v import io
from spokenw2v.errors import SpokenW2VError
from helpers import topic_corpus


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small finished pipeline: audio, features (file and shard directory), codebook,
    units, segments, a corpus, a text model and its metrics."""
    root = tmp_path_factory.mktemp("safety")
    tiny = make_tiny_speech(root, n_utts=6, mixed_formats=False)
    assert tiny.root == root / "tiny"
    ok = lambda r: r.exit_code == 0 or pytest.fail(r.output)  # noqa: E731
    ok(invoke("featurize", tiny.audio_dir, "--out", root / "feats.npz", "-q"))
    ok(invoke("featurize", tiny.audio_dir, "--out", root / "feats", "--shard-frames", "100", "-q"))
    ok(invoke("discretize", root / "feats.npz", "--out", root / "units.npz", "--codebook", root / "cb.npz",
              "--k", "4", "-q"))
    io.write_corpus(root / "corpus.txt", topic_corpus(40))
    ok(invoke("train", "text", "--corpus", root / "corpus.txt", "--out", root / "ref", "--epochs", "2",
              "--min-count", "1", "-q"))
    (root / "curves").mkdir()
    io.write_tsv(root / "curves" / "metrics.tsv", ["epoch", "A", "B"], [[0, 0.1, 0.2], [1, 0.3, 0.4]])
    (root / "align").mkdir()
    (root / "align" / "a.ctm").write_text("utt000 1 0.10 0.20 cat\nutt000 1 0.30 0.20 dog\n", encoding="utf-8")
    return root


@pytest.fixture
def work(base, tmp_path) -> Path:
    """A private copy of the pipeline (a failed guard may destroy it)."""
    shutil.copytree(base, tmp_path / "w", symlinks=True)
    return tmp_path / "w"


# --------------------------------------------------------------------------- 1, 2: outputs never clobber inputs

# (case id, argv with {w} for the work directory, files or directories that must stay byte for byte,
#  words the one-line error must contain)
CLOBBER_CASES = [
    # 1. featurize replacing a directory that is not its own, or its own input
    ("featurize-into-user-dir", ["featurize", "{w}/tiny/audio", "--out", "{w}/mine"], ["mine"], ["did not write"]),
    ("featurize-out-is-audio", ["featurize", "{w}/tiny/audio", "--out", "{w}/tiny/audio"], ["tiny"],
     ["also an input"]),
    ("featurize-dot-dot", ["featurize", ".", "--out", "."], ["tiny", "corpus.txt"], ["also an input"]),
    ("featurize-list-onto-list", ["featurize", "{w}/tiny/audio.tsv", "--out", "{w}/tiny/audio.tsv"], ["tiny"],
     ["also an input"]),
    ("featurize-out-contains-input", ["featurize", "{w}/tiny/audio", "--out", "{w}/tiny"], ["tiny"],
     ["would contain the input"]),
    ("featurize-out-inside-input", ["featurize", "{w}/tiny/audio", "--out", "{w}/tiny/audio/f"], ["tiny"],
     ["would sit inside the input"]),
    ("featurize-out-is-a-file", ["featurize", "{w}/tiny/audio", "--out", "{w}/corpus.txt"], ["corpus.txt"],
     ["not a directory"]),
    ("featurize-symlink-to-input", ["featurize", "{w}/tiny/audio", "--out", "{w}/link"], ["tiny"],
     ["also an input"]),
    # 2. an output path equal to an input path
    ("evaluate-tsv", ["evaluate", "{w}/ref/vectors.vec", "--tsv", "{w}/ref/vectors.vec"], ["ref"], ["also an input"]),
    ("evaluate-json", ["evaluate", "{w}/ref/vectors.vec", "--json", "{w}/ref/vectors.vec"], ["ref"],
     ["also an input"]),
    ("word-units", ["word-units", "{w}/units.npz", "{w}/tiny/segments.tsv", "--out", "{w}/tiny/segments.tsv"],
     ["tiny", "units.npz"], ["also an input"]),
    ("text-noise", ["text-noise", "{w}/corpus.txt", "--out", "{w}/corpus.txt", "--substitute", "0.1"],
     ["corpus.txt"], ["also an input"]),
    ("text-noise-hard-link", ["text-noise", "{w}/corpus.txt", "--out", "{w}/hard.txt", "--substitute", "0.1"],
     ["corpus.txt"], ["also an input"]),
    ("text-noise-sweep-file", ["text-noise", "{w}/sw/substitute-0.10.txt", "--out", "{w}/sw", "--substitute",
                               "0,0.1"], ["sw"], ["not a sweep directory"]),
    ("segment-noise", ["segment-noise", "{w}/tiny/segments.tsv", "--out", "{w}/tiny/segments.tsv", "--split",
                       "0.1"], ["tiny"], ["also an input"]),
    ("segments", ["segments", "{w}/align/a.ctm", "--out", "{w}/align/a.ctm"], ["align"], ["also an input"]),
    ("label-segments", ["label-segments", "{w}/tiny/segments.tsv", "--gold", "{w}/tiny/segments.tsv", "--out",
                        "{w}/tiny/segments.tsv"], ["tiny"], ["also an input"]),
    ("discretize-onto-codebook", ["discretize", "{w}/feats.npz", "--use-codebook", "{w}/cb.npz", "--out",
                                  "{w}/cb.npz"], ["cb.npz", "feats.npz"], ["also an input"]),
    ("discretize-two-outputs", ["discretize", "{w}/feats.npz", "--codebook", "{w}/u.npz", "--out", "{w}/u.npz"],
     ["feats.npz"], ["two different outputs"]),
    ("plot-curves", ["plot", "curves", "{w}/curves/metrics.tsv", "--out", "{w}/curves/metrics.tsv"], ["curves"],
     ["also an input"]),
    ("train-out-contains-corpus", ["train", "text", "--corpus", "{w}/corpus.txt", "--out", "{w}"],
     ["corpus.txt", "ref"], ["would contain the input"]),
    ("train-into-user-dir", ["train", "text", "--corpus", "{w}/corpus.txt", "--out", "{w}/mine"], ["mine"],
     ["not a train run directory"]),
    ("train-token-vectors-onto-input", ["train", "e2e", "--corpus", "{w}/corpus.txt", "--out", "{w}/r",
                                        "--token-vectors", "{w}/corpus.txt"], ["corpus.txt"], ["also an input"]),
    ("demo-into-user-dir", ["demo", "{w}/mine", "--words", "300"], ["mine"], ["not a demo run directory"]),
]


@pytest.mark.parametrize("case, argv, keep, words", CLOBBER_CASES, ids=[c[0] for c in CLOBBER_CASES])
def test_no_output_clobbers_an_input(work, case, argv, keep, words):
    (work / "mine").mkdir()
    (work / "mine" / "notes.txt").write_text("a user's own file\n", encoding="utf-8")
    (work / "link").symlink_to(work / "tiny" / "audio")
    os.link(work / "corpus.txt", work / "hard.txt")
    (work / "sw").mkdir()
    shutil.copy(work / "corpus.txt", work / "sw" / "substitute-0.10.txt")
    before = snapshot(work)
    r = invoke(*[a.format(w=work) for a in argv], cwd=work)
    assert_one_error_line(r, *words)
    after = snapshot(work)
    for name in keep:
        kept = {k: v for k, v in before.items() if k == name or k.startswith(name + "/")}
        assert kept and all(after.get(k) == v for k, v in kept.items()), name
    assert after == before  # nothing at all was written or removed


def test_featurize_replaces_its_own_directory_and_cleans_stale_staging(work):
    """Valid: a rerun into featurize's own directory replaces it; staging left by a killed run is
    removed (only folders that are ours by name and marker, of processes that no longer run)."""
    feats = work / "feats"
    assert (feats / ".spokenw2v-features").is_file()
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    stale = work / ".feats.abcd1234.tmp"
    stale.mkdir()
    (stale / ".spokenw2v-staging").write_text(f"{dead} {os.uname().nodename}\n")
    alien = work / ".feats.zzzz9999.tmp"  # same name pattern, no marker: not ours, kept
    alien.mkdir()
    r = invoke("featurize", work / "tiny" / "audio", "--out", feats, "--shard-frames", "100", "-q")
    assert r.exit_code == 0, r.output
    assert not stale.exists() and alien.is_dir()
    assert not any(p.name.startswith(".part-") for p in feats.iterdir())

    # a killed --shard run left a staging folder inside the directory: the rerun of that part cleans it
    shards = work / "sharded"
    assert invoke("featurize", work / "tiny" / "audio", "--out", shards, "--shard", "0/2", "-q").exit_code == 0
    left = shards / ".part-00001-of-00002.x1y2z3"
    left.mkdir()
    (left / ".spokenw2v-staging").write_text(f"{dead} {os.uname().nodename}\n")
    (left / "part-00001-of-00002-00000.npz").write_bytes(b"half")
    assert invoke("featurize", work / "tiny" / "audio", "--out", shards, "--shard", "1/2", "-q").exit_code == 0
    assert not left.exists()
    assert len(io.read_durations(shards)) == 6


# --------------------------------------------------------------------------- 3, 8: one Error line from every reader


def _bad_inputs(w: Path) -> None:
    (w / "latin1.tsv").write_bytes("utt\tstart\tend\tword\nutt000\t0.1\t0.2\tcaf\xe9\n".encode("latin-1"))
    (w / "latin1.txt").write_bytes("the cat sat\nna\xefve\n".encode("latin-1"))
    (w / "adir").mkdir()
    (w / "feats-dir.npz").mkdir()
    a = dict(np.load(w / "feats.npz"))
    del a["offsets"]
    np.savez(w / "no-offsets.npz", **a)
    a = dict(np.load(w / "feats.npz"))
    a["values"] = a["values"].astype(np.float32)
    a["values"][3, 2] = np.nan
    np.savez(w / "nan-feats.npz", **a)
    a = dict(np.load(w / "units.npz"))
    a["values"] = a["values"].astype(np.float64)
    a["values"][0] = np.nan
    np.savez(w / "nan-units.npz", **a)
    (w / "dup.tsv").write_text("utt\tstart\tend\tword\tword\nutt000\t0.1\t0.2\ta\tb\n", encoding="utf-8")
    (w / "spaced.tsv").write_text("utt\tstart\tend\tword\nu1\t0.1\t0.2\tthe cat\n", encoding="utf-8")
    (w / "rare.txt").write_text("one two three\nfour five six\n", encoding="utf-8")
    (w / "one.txt").write_text("cat cat\ncat\n", encoding="utf-8")
    a = dict(np.load(w / "cb.npz"))
    a["centroids"][0, 0] = np.inf
    np.savez(w / "nan-cb.npz", **a)
    (w / "const").mkdir()
    info = io.FrameInfo(100.0, 0.0125, 0.025, "mfcc")
    io.write_features(w / "const" / "f.npz", io.Ragged.from_list(["u"], [np.ones((500, 3), np.float16)], [5.0], info))


# (case id, argv, words the one-line error must contain)
READER_CASES = [
    ("tsv-not-utf8-word-units", ["word-units", "{w}/units.npz", "{w}/latin1.tsv", "--out", "{w}/o.tsv"],
     ["latin1.tsv:2", "not UTF-8"]),
    ("tsv-not-utf8-train", ["train", "text", "--segments", "{w}/latin1.tsv", "--out", "{w}/r"],
     ["latin1.tsv:2", "not UTF-8"]),
    ("tsv-not-utf8-similarity", ["evaluate", "{w}/ref/vectors.vec", "--similarity", "{w}/latin1.tsv"],
     ["latin1.tsv:2"]),
    ("corpus-not-utf8", ["text-noise", "{w}/latin1.txt", "--out", "{w}/o.txt"], ["latin1.txt:2", "not UTF-8"]),
    ("train-corpus-dir", ["train", "text", "--corpus", "{w}/adir", "--out", "{w}/r"], ["adir", "is a directory"]),
    ("word-units-segments-dir", ["word-units", "{w}/units.npz", "{w}/adir", "--out", "{w}/o.tsv"],
     ["adir", "is a directory"]),
    ("text-noise-dir", ["text-noise", "{w}/adir", "--out", "{w}/o.txt"], ["adir", "is a directory"]),
    ("evaluate-dir", ["evaluate", "{w}/adir"], ["adir", "is a directory"]),
    ("evaluate-test-set-dir", ["evaluate", "{w}/ref/vectors.vec", "-r", "{w}/ref/vectors.vec", "--test-set",
                               "{w}/adir"], ["adir", "is a directory"]),
    ("plot-curves-dir", ["plot", "curves", "{w}/adir", "--out", "{w}/c.png"], ["adir", "is a directory"]),
    ("featurize-out-npz-dir", ["featurize", "{w}/tiny/audio", "--out", "{w}/feats-dir.npz"],
     ["feats-dir.npz", "is a directory"]),
    ("features-without-offsets", ["discretize", "{w}/no-offsets.npz", "--out", "{w}/u.npz", "--codebook",
                                  "{w}/c.npz", "--k", "2"], ["no-offsets.npz", "offsets"]),
    ("features-with-nan", ["discretize", "{w}/nan-feats.npz", "--out", "{w}/u.npz", "--codebook", "{w}/c.npz",
                           "--k", "2"], ["nan-feats.npz", "non-finite"]),
    ("units-float-nan", ["train", "e2e", "--segments", "{w}/tiny/segments.tsv", "--units", "{w}/nan-units.npz",
                         "--out", "{w}/r"], ["nan-units.npz", "integers"]),
    ("header-repeats-column", ["segment-noise", "{w}/dup.tsv", "--out", "{w}/o.tsv"], ["dup.tsv:1", "repeats"]),
    ("kmeans-constant-features", ["discretize", "{w}/const", "--out", "{w}/u.npz", "--codebook", "{w}/c.npz",
                                  "--k", "4", "--sample-fraction", "1"], ["const", "distinct"]),
    ("demo-k-0", ["demo", "{w}/demo", "--k", "0"], ["--k"]),
    ("text-noise-one-word-type", ["text-noise", "{w}/one.txt", "--out", "{w}/o.txt", "--substitute", "0.1"],
     ["one.txt", "two word types"]),
    ("codebook-with-nan", ["discretize", "{w}/feats.npz", "--use-codebook", "{w}/nan-cb.npz", "--out", "{w}/u.npz"],
     ["nan-cb.npz", "non-finite"]),
    ("output-under-a-file", ["text-noise", "{w}/corpus.txt", "--out", "{w}/one.txt/x.txt", "--substitute", "0.1"],
     ["one.txt", "not a directory"]),
    ("synthesize-corpus-dir", ["synthesize", "{w}/adir", "--out", "{w}/s"], ["adir", "is a directory"]),
    ("train-reference-shares-no-word", ["train", "e2e", "--corpus", "{w}/rare.txt", "--out", "{w}/r",
                                        "--reference", "{w}/ref/vectors.vec"], ["rare.txt", "vectors.vec"]),
    ("train-test-set-no-usable-pair", ["train", "e2e", "--corpus", "{w}/corpus.txt", "--out", "{w}/r",
                                       "--reference", "{w}/ref/vectors.vec", "--test-set", "{w}/ts.tsv"],
     ["ts.tsv", "vectors.vec"]),
]


@pytest.mark.parametrize("case, argv, words", READER_CASES, ids=[c[0] for c in READER_CASES])
def test_bad_inputs_give_one_error_line_naming_the_file(work, case, argv, words):
    _bad_inputs(work)
    io.write_test_set(work / "ts.tsv", io.TestSet(["zzz"], ["yyy"], ["random"], freq1=[1], freq2=[1], split=["test"]))
    before = snapshot(work)
    r = invoke(*[a.format(w=work) for a in argv], cwd=work)
    assert_one_error_line(r, *words)
    assert snapshot(work) == before
    assert not (work / "demo").exists() and not (work / "r").exists()


def test_lenient_readers_bom_and_crlf(tmp_path):
    """A BOM at the start of a TSV is ignored; a CRLF word2vec file is read as gensim reads it."""
    segs = tmp_path / "bom.tsv"
    segs.write_bytes("\ufeffutt\tstart\tend\tword\r\nu1\t0.1\t0.2\tcat\r\n".encode("utf-8"))
    seg = io.read_segments(segs, require_words=True)
    assert seg.utt == ["u1"] and seg.word == ["cat"]
    vec = tmp_path / "crlf.vec"
    vec.write_bytes(b"2 3\r\ncat 1 2 3\r\ndog 4 5 6.5\r\n")
    wv = io.read_vectors(vec)
    assert wv.words == ["cat", "dog"] and wv.vectors[1, 2] == 6.5
    lf = tmp_path / "lf.vec"
    lf.write_bytes(b"2 3\ncat 1 2 3\ndog 4 5 6.5\n")
    np.testing.assert_array_equal(io.read_vectors(lf).vectors, wv.vectors)


def test_errors_on_an_output_name_the_output_not_its_temporary_file(tmp_path, capsys):
    from spokenw2v.cli.common import guarded

    hidden = tmp_path / ".units.npz.k3j2h1g0.tmp.npz"

    @guarded
    def write():
        raise PermissionError(13, "Permission denied", str(hidden))

    with pytest.raises(BaseException):
        write()
    err = capsys.readouterr().err.strip()
    assert err == f"Error: {tmp_path / 'units.npz'}: permission denied", err


# --------------------------------------------------------------------------- 4: incomplete shard sets


def test_incomplete_shard_set_is_refused_before_any_reader_uses_it(work):
    half = work / "half"
    r = invoke("featurize", work / "tiny" / "audio", "--out", half, "--shard", "0/2", "--shard-frames", "100", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("discretize", half, "--out", work / "u.npz", "--codebook", work / "c.npz", "--k", "2")
    assert_one_error_line(r, "half", "part(s) 1/2 missing")
    assert not (work / "u.npz").exists() and not (work / "c.npz").exists()
    with pytest.raises(SpokenW2VError, match="1/2 missing"):
        io.read_durations(half)
    # a gap inside a part, and parts of two different splits
    full = work / "feats"
    names = sorted(p.name for p in full.glob("part-*.npz"))
    assert len(names) >= 3
    (full / names[1]).unlink()
    with pytest.raises(SpokenW2VError, match=f"{names[1]} missing"):
        io.npz_files(full)
    shutil.copy(half / sorted(p.name for p in half.glob("part-*.npz"))[0], full / "part-00000-of-00002-00000.npz")
    with pytest.raises(SpokenW2VError, match="different splits"):
        io.npz_files(full)
    # completed: the second part makes the set whole
    assert invoke("featurize", work / "tiny" / "audio", "--out", half, "--shard", "1/2", "--shard-frames", "100",
                  "-q").exit_code == 0
    assert len(io.read_durations(half)) == 6
    # a part whose run was killed while moving its files in has no finished-list
    (half / "part-00001-of-00002.done").unlink()
    with pytest.raises(SpokenW2VError, match="part 1/2 is unfinished"):
        io.npz_files(half)


# --------------------------------------------------------------------------- 5, 6, 7: train runs


def test_a_second_writer_of_a_run_directory_is_refused(work):
    run = work / "run"
    run.mkdir()
    lock = run / ".spokenw2v-train.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running train process holds it
        r = invoke("train", "text", "--corpus", work / "corpus.txt", "--out", run, "--min-count", "1",
                   "--epochs", "1")
        assert_one_error_line(r, "another train process")
        assert sorted(p.name for p in run.iterdir()) == [lock.name]
    finally:
        os.close(fd)
    # the lock file of a killed run (nobody holds it) is taken over and removed at the end
    r = invoke("train", "text", "--corpus", work / "corpus.txt", "--out", run, "--min-count", "1", "--epochs", "1",
               "-q")
    assert r.exit_code == 0, r.output
    assert not lock.exists() and (run / "vectors.vec").is_file()


def test_a_new_run_replaces_an_earlier_one_whole(work):
    """Rerunning into a run directory leaves no file of the earlier run (no mixed directories)."""
    run = work / "ref"
    (run / "last.pt").write_bytes(b"from an earlier e2e run")
    (run / "notes.txt").write_text("mine\n")
    r = invoke("train", "text", "--corpus", work / "corpus.txt", "--out", run, "--min-count", "1", "--epochs", "1",
               "-q")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "metrics.tsv", "notes.txt", "vectors.vec"]


TRAIN_FAILURES = [
    ("word-with-space", ["train", "text", "--segments", "{w}/spaced.tsv"], ["spaced.tsv:2", "white space"]),
    ("no-word-reaches-min-count", ["train", "text", "--corpus", "{w}/rare.txt"], ["rare.txt", "--min-count 5"]),
    ("oracle-min-count", ["train", "oracle", "--corpus", "{w}/rare.txt"], ["rare.txt", "--min-count 5"]),
    ("e2e-word-with-space", ["train", "e2e", "--segments", "{w}/spaced.tsv"], ["spaced.tsv:2"]),
]


@pytest.mark.parametrize("case, argv, words", TRAIN_FAILURES, ids=[c[0] for c in TRAIN_FAILURES])
def test_train_failing_on_its_input_leaves_no_run_directory(work, case, argv, words):
    _bad_inputs(work)
    before = snapshot(work)
    r = invoke(*[a.format(w=work) for a in argv], "--out", work / "run", "--epochs", "1", "--device", "cpu")
    assert_one_error_line(r, *words)
    assert not (work / "run").exists()
    assert snapshot(work) == before


def test_train_failing_before_the_first_checkpoint_removes_its_run(work, monkeypatch):
    from spokenw2v import train

    def broken(self):
        (self.out_dir / "metrics.tsv").write_text("partial\n")
        raise SpokenW2VError("simulated failure before the first checkpoint")

    monkeypatch.setattr(train.NeuralTrainer, "run", broken)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "run", "--device", "cpu")
    assert_one_error_line(r, "simulated failure")
    assert not (work / "run").exists()


def test_resume_restores_token_vectors(work):
    run, tokens = work / "run", work / "tokens.npz"
    common = ["--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "-q"]
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", run, "--epochs", "1",
               "--token-vectors", tokens, *common)
    assert r.exit_code == 0, r.output
    first = tokens.read_bytes()
    tokens.unlink()
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "-q")
    assert r.exit_code == 0, r.output
    assert tokens.is_file() and tokens.read_bytes() != first
    assert io.read_token_vectors(tokens).vectors.shape[0] == sum(len(s) for s in io.read_corpus(work / "corpus.txt"))
    assert json.loads((run / "config.json").read_text())["kind"] == "e2e"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_by_exponent_bits(dtype):
    finfo = np.finfo(dtype)
    assert io.all_finite(np.array([finfo.max, -finfo.max, finfo.tiny, finfo.smallest_subnormal, -0.0, 0.0], dtype))
    for bad in (np.nan, np.inf, -np.inf):
        a = np.ones((5, 3), dtype)
        a[4, 2] = bad
        assert not io.all_finite(a) and not io.all_finite(a, chunk=2)
        assert not io.all_finite(a.T)  # not contiguous: the np.isfinite path
    assert io.all_finite(np.arange(4)) and io.all_finite(np.zeros((0, 3), dtype))
