"""Outputs are written safely: special files in place (never renamed over), sweeps only into
their own directories, nothing written before every check of a command has passed, no two
outputs of one command on the same file, a failed command leaves none of its outputs, and
every bad option value is one ``Error:`` line naming the option.

Every data-loss case hashes the work directory before and after the command."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import threading
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error_line, invoke, snapshot, topic_corpus, unit_data
from spokenw2v import io
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError

E2E = ["--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "-q"]


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A corpus, segments, an alignment, word units, a text model and a two-epoch e2e run."""
    root = tmp_path_factory.mktemp("outputs")
    io.write_corpus(root / "corpus.txt", topic_corpus(40))
    io.write_corpus(root / "other.txt", topic_corpus(40, seed=1))
    unit_data(root)  # units.npz, segments.tsv
    io.write_tsv(root / "m.tsv", ["epoch", "A", "B"], [[0, 0.1, 0.5], [1, 0.2, 0.4], [2, 0.3, 0.3]])
    (root / "a.ctm").write_text("u1 1 0.10 0.20 cat\nu1 1 0.30 0.20 dog\nu2 1 0.10 0.30 the\n", encoding="utf-8")
    ok(invoke("segments", root / "a.ctm", "--out", root / "segs.tsv", "-q"))
    words = "utt\tstart\tend\tword\tunits\n" + "".join(
        f"u{i}\t{j * 0.2:.1f}\t{j * 0.2 + 0.2:.1f}\t{w}\t{' '.join(str((i + j + n) % 7) for n in range(3))}\n"
        for i in range(4) for j, w in enumerate(["cat", "dog", "the", "cat"]))
    (root / "wu.tsv").write_text(words, encoding="utf-8")
    ok(invoke("train", "text", "--corpus", root / "corpus.txt", "--out", root / "ref", "--epochs", "1",
              "--min-count", "1", "-q"))
    ok(invoke("train", "e2e", "--corpus", root / "corpus.txt", "--out", root / "run", "--epochs", "2", *E2E))
    return root


@pytest.fixture
def work(base, tmp_path) -> Path:
    shutil.copytree(base, tmp_path / "w", symlinks=True)
    return tmp_path / "w"


def _mknod(path: Path, major: int, minor: int) -> None:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create device nodes here ({exc})")


# --------------------------------------------------------------------------- special files


@pytest.mark.parametrize("argv", [
    ["segments", "{w}/a.ctm", "--out", "{dev}"],
    ["evaluate", "{w}/ref/vectors.vec", "--tsv", "{dev}", "-q"],
    ["text-noise", "{w}/corpus.txt", "--substitute", "0.1", "--out", "{dev}"],
    ["train", "e2e", "--corpus", "{w}/corpus.txt", "--out", "{w}/r2", "--epochs", "1", "--token-vectors", "{dev}",
     *E2E],
], ids=["segments", "evaluate-tsv", "text-noise", "train-token-vectors-npz"])
def test_a_character_device_is_written_in_place(work, argv):
    null, full = work / "mynull", work / "myfull"
    _mknod(null, 1, 3)
    _mknod(full, 1, 7)
    before = snapshot(work)
    ok(invoke(*[a.format(w=work, dev=null) for a in argv]))
    after = snapshot(work)
    assert stat.S_ISCHR(os.lstat(null).st_mode) and after["mynull"] == before["mynull"]  # still /dev/null
    # /dev/full: the write fails with one line naming the device, which stays a device
    r = invoke(*[a.format(w=work, dev=full) for a in argv])
    assert_one_error_line(r, "myfull", "No space left on device")
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(".spokenw2v-special.*x"))


def test_a_fifo_is_written_in_place_and_a_socket_refused(work):
    fifo = work / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    try:
        ok(invoke("segments", work / "a.ctm", "--out", fifo, "-q"))
        reader.join(10)
    finally:
        if reader.is_alive():  # nothing was written into the pipe: let the reader go
            os.close(os.open(work / "pipe", os.O_WRONLY | os.O_NONBLOCK))
    assert got and got[0] == (work / "segs.tsv").read_text(encoding="utf-8")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)

    sock_path = work / "sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(sock_path))
        before = snapshot(work)
        assert_one_error_line(invoke("segments", work / "a.ctm", "--out", sock_path), "sock", "socket")
        assert snapshot(work) == before and stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()


def test_dot_slash_dash_is_a_file_named_dash(work):
    r = invoke("segments", work / "a.ctm", "--out", "./-", "-q", cwd=work)
    ok(r)
    assert r.stdout == "" and (work / "-").read_text() == (work / "segs.tsv").read_text()
    (work / "-").unlink()
    r = invoke("segments", work / "a.ctm", "--out=./-", "-q", cwd=work)
    assert r.stdout == "" and (work / "-").is_file()


# --------------------------------------------------------------------------- sweep directories


@pytest.mark.parametrize("argv, name", [
    (["segment-noise", "{w}/segs.tsv", "--split", "0,0.1", "--out", "{w}/d"], "split-0.10.tsv"),
    (["text-noise", "{w}/corpus.txt", "--substitute", "0,0.1", "--out", "{w}/d"], "substitute-0.10.txt"),
    (["unit-noise", "{w}/wu.tsv", "--substitute", "0,0.1", "--out", "{w}/d"], "substitute-0.10.tsv"),
], ids=["segment-noise", "text-noise", "unit-noise"])
def test_a_sweep_writes_only_into_its_own_directory(work, argv, name):
    (work / "d").mkdir()
    (work / "d" / name).write_text("mine\n")
    before = snapshot(work)
    assert_one_error_line(invoke(*[a.format(w=work) for a in argv]), "d", "not a sweep directory")
    assert snapshot(work) == before
    # into a new directory, and again into it: ours, replaced
    argv = [a.replace("{w}/d", "{w}/new") for a in argv]
    ok(invoke(*[a.format(w=work) for a in argv], "-q"))
    first = snapshot(work / "new")
    ok(invoke(*[a.format(w=work) for a in argv], "-q"))
    assert snapshot(work / "new") == first and ".spokenw2v-sweep" in first


def test_a_sweep_into_the_directory_of_its_input_is_refused(work):
    (work / "d").mkdir()
    shutil.copy(work / "corpus.txt", work / "d" / "corpus.txt")
    before = snapshot(work)
    r = invoke("text-noise", work / "d" / "corpus.txt", "--substitute", "0,0.1", "--out", work / "d")
    assert_one_error_line(r, "d")
    assert snapshot(work) == before


# --------------------------------------------------------------------------- refused runs write nothing


@pytest.mark.parametrize("extra, words", [
    (["--seed", "4"], ["seed 0 (checkpoint) vs 4"]),
    (["--corpus", "{w}/other.txt"], ["other data"]),
    (["--epochs", "1"], ["--epochs 1", "already trained 2 epochs"]),
    (["--scale", "2"], ["scale"]),
], ids=["seed", "other-data", "fewer-epochs", "scale"])
def test_a_refused_resume_writes_nothing(work, extra, words):
    before = snapshot(work)
    r = invoke("train", "e2e", "--out", work / "run", "--resume", *[a.format(w=work) for a in extra], "-q")
    assert_one_error_line(r, *words)
    assert snapshot(work) == before


def test_token_vectors_may_not_be_a_file_of_the_run(work):
    before = snapshot(work)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "run", "--epochs", "1",
               "--token-vectors", work / "run" / "vectors.vec", *E2E)
    assert_one_error_line(r, "vectors.vec", "two different outputs")
    assert snapshot(work) == before


@pytest.mark.parametrize("extra", [["--batch-tokens", "1000000000"], ["--window", "100000000"],
                                   ["--negatives", "1000000000"]], ids=lambda e: e[0])
def test_a_step_too_large_for_memory_is_refused_up_front(work, extra):
    """Memory is bounded before anything is allocated: the centres of a step are at most the
    corpus, but a pool of a billion negatives (--pool-size defaults to --batch-tokens) or a
    window of a hundred million words is refused."""
    before = snapshot(work)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1", *E2E[:-3],
               *extra)
    assert_one_error_line(r, extra[0], "token slots per step")
    assert snapshot(work) == before


def test_test_set_without_reference_is_refused(work):
    io.write_test_set(work / "ts.tsv", io.TestSet(["cat"], ["dog"], ["random"], freq1=[1], freq2=[1], split=["test"]))
    before = snapshot(work)
    r = invoke("train", "text", "--corpus", work / "corpus.txt", "--out", work / "r", "--test-set", work / "ts.tsv")
    assert_one_error_line(r, "--test-set", "--reference")
    assert snapshot(work) == before


def test_an_interrupt_after_a_checkpoint_says_the_run_can_be_resumed(work, monkeypatch):
    from spokenw2v import train

    real = train.NeuralTrainer.run

    def interrupted(self):
        real(self)  # checkpoints written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(train.NeuralTrainer, "run", interrupted)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1", *E2E)
    assert r.exit_code == 130
    assert "--resume" in r.output and "no partial output" not in r.output
    assert (work / "r" / "last.pt").is_file()


# --------------------------------------------------------------------------- failed commands leave no outputs


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS], ids=["ENOSPC", "EACCES", "EROFS"])
def test_a_failed_write_names_the_output_and_leaves_none(work, monkeypatch, code):
    """The second of two outputs fails while it is written: one line naming it, and the first
    output (already in place) is removed again."""
    feats = work / "feats.npz"
    info = io.FrameInfo(100.0, 0.0125, 0.025, "mfcc")
    rng = np.random.default_rng(0)
    io.write_features(feats, io.Ragged.from_list(["a", "b"], [rng.standard_normal((40, 3)).astype(np.float16)] * 2,
                                                 [0.4, 0.4], info))
    real = np.savez

    def failing(file, *args, **kwargs):
        if "units.npz" in getattr(file, "name", str(file)):
            raise OSError(code, os.strerror(code))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(np, "savez", failing)
    before = snapshot(work)
    r = invoke("discretize", feats, "--out", work / "units.npz", "--codebook", work / "cb.npz", "--k", "2", "-q")
    line = assert_one_error_line(r, str(work / "units.npz"))
    assert os.strerror(code).lower() in line.lower()
    assert snapshot(work) == before


def test_a_full_disk_while_saving_a_checkpoint_is_one_line(work, monkeypatch):
    from spokenw2v import checkpoints

    real = checkpoints.torch.save

    def full(obj, f, *args, **kwargs):
        real(obj, f, *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(checkpoints.torch, "save", full)
    before = snapshot(work)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1", *E2E)
    assert_one_error_line(r, "last.pt", "No space left on device")
    assert snapshot(work) == before


# --------------------------------------------------------------------------- one validation layer

# (argv with {w}, the option the error must name)
BAD_VALUES = [
    (["train", "text", "--corpus", "{w}/corpus.txt", "--window", "0"], "--window"),
    (["train", "text", "--corpus", "{w}/corpus.txt", "--dims", "0"], "--dims"),
    (["train", "text", "--corpus", "{w}/corpus.txt", "--negatives", "0"], "--negatives"),
    (["train", "text", "--corpus", "{w}/corpus.txt", "--window", "-1"], "--window"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--pool-size", "0"], "--pool-size"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--noise-power", "nan"], "--noise-power"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--subsample", "-1"], "--subsample"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--lr", "inf"], "--lr"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--seed", "-1"], "--seed"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--seed", str(2**70)], "--seed"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--test-seed", "-1"], "--test-seed"),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--batch-tokens", str(2**40)], "--batch-tokens"),
    (["label-segments", "{w}/segs.tsv", "--gold", "{w}/segs.tsv", "--tolerance", "-1"], "--tolerance"),
    (["label-segments", "{w}/segs.tsv", "--gold", "{w}/segs.tsv", "--tolerance", "nan"], "--tolerance"),
    (["segment-noise", "{w}/segs.tsv", "--seed", "-1"], "--seed"),
    (["segment-noise", "{w}/segs.tsv", "--seed", str(2**70)], "--seed"),
    (["segment-noise", "{w}/segs.tsv", "--tolerance", "nan"], "--tolerance"),
    (["text-noise", "{w}/corpus.txt", "--seed", "-1"], "--seed"),
    (["unit-noise", "{w}/wu.tsv", "--seed", str(2**32)], "--seed"),
    (["discretize", "{w}/feats.npz", "--codebook", "{w}/cb.npz", "--seed", "-1"], "--seed"),
    (["discretize", "{w}/feats.npz", "--codebook", "{w}/cb.npz", "--sample-fraction", "nan"], "--sample-fraction"),
    (["evaluate", "{w}/ref/vectors.vec", "--seed", "-1"], "--seed"),
    (["evaluate", "{w}/ref/vectors.vec", "--bootstrap", "-5"], "--bootstrap"),
    (["synthesize", "{w}/corpus.txt", "--jobs", "-1"], "--jobs"),
    (["synthesize", "{w}/corpus.txt", "--seed", "-1"], "--seed"),
    (["featurize", "{w}/audio", "--batch-seconds", "nan"], "--batch-seconds"),
    (["segments", "{w}/a.ctm", "--overlap-tolerance", "inf"], "--overlap-tolerance"),
    (["demo", "--seed", "-1"], "--seed"),
]


@pytest.mark.parametrize("argv, option", BAD_VALUES, ids=[f"{a[0]}{o}={a[-1]}" for a, o in BAD_VALUES])
def test_a_bad_value_is_one_line_naming_the_option_and_writes_nothing(work, argv, option):
    before = snapshot(work)
    argv = [a.format(w=work) for a in argv]
    out = {"demo": [work / "o"], "evaluate": ["--tsv", work / "o"]}.get(argv[0], ["--out", work / "o"])
    r = invoke(*argv, *out)
    assert_one_error_line(r, option, "must be")
    assert snapshot(work) == before and not (work / "o").exists()


def test_every_numeric_option_declares_its_range():
    """No int or float option of any command is left without a declared range."""
    import typer

    from spokenw2v.cli.options import Range

    root = typer.main.get_command(app)

    def leaves(cmd):
        for sub in getattr(cmd, "commands", {}).values():
            yield from leaves(sub)
        if not hasattr(cmd, "commands"):
            yield cmd

    import inspect

    missing, checked = [], 0
    for cmd in leaves(root):
        for name, param in inspect.signature(cmd.callback).parameters.items():
            if param.annotation in ("int", "float", "Optional[int]", "Optional[float]"):
                checked += 1
                if not isinstance(getattr(param.default, "spokenw2v_range", None), Range):
                    missing.append(f"{cmd.name} {name}")
    assert checked > 40 and not missing, missing


# --------------------------------------------------------------------------- stages write what later stages read

SHORT_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

0
1.5
<exists>
1
"IntervalTier"
"words"
0
1.5
3
0
0.5
"ice
cream"
0.5
1
"and  cake"
1
1.5
"cat"
'''


def test_a_label_over_two_lines_becomes_one_word_that_train_reads(work):
    (work / "u1.TextGrid").write_text(SHORT_TEXTGRID, encoding="utf-8")
    ok(invoke("segments", work / "u1.TextGrid", "--out", work / "tg.tsv", "-q"))
    seg = io.read_segments(work / "tg.tsv", require_words=True)  # what train reads
    assert seg.word == ["ice_cream", "and_cake", "cat"]


def test_word_units_of_segments_without_words_is_refused(work):
    (work / "bare.tsv").write_text("utt\tstart\tend\nutt000\t0.0\t0.2\n", encoding="utf-8")
    before = snapshot(work)
    r = invoke("word-units", work / "units.npz", work / "bare.tsv", "--out", work / "o.tsv")
    assert_one_error_line(r, "bare.tsv", "word")
    assert snapshot(work) == before
    with pytest.raises(SpokenW2VError, match="no word column"):
        io.write_word_units(work / "o.tsv", io.read_segments(work / "bare.tsv"), [np.array([1, 2])])
    assert not (work / "o.tsv").exists()


def _features(path: Path, values: np.ndarray, durations=(0.4, 0.4)) -> Path:
    info = io.FrameInfo(100.0, 0.0125, 0.025, "mfcc")
    half = len(values) // 2
    io.write_features(path, io.Ragged.from_list(["a", "b"], [values[:half], values[half:]], list(durations), info))
    return path


@pytest.mark.parametrize("case, words", [
    ("int32-features", ["bad.npz", "floats", "int32"]),
    ("negative-duration", ["bad.npz", "negative duration"]),
    ("codebook-k-disagrees", ["cb.npz", "k = 5 but 2 centroids"]),
])
def test_discretize_refuses_meaningless_inputs(work, case, words):
    rng = np.random.default_rng(0)
    good = _features(work / "f.npz", rng.standard_normal((80, 3)).astype(np.float16))
    ok(invoke("discretize", good, "--out", work / "u.npz", "--codebook", work / "cb.npz", "--k", "2", "-q"))
    argv = ["discretize", work / "bad.npz", "--out", work / "o.npz", "--codebook", work / "c2.npz", "--k", "2"]
    if case == "int32-features":
        _features(work / "bad.npz", rng.integers(0, 9, (80, 3)).astype(np.int32))
    elif case == "negative-duration":
        _features(work / "bad.npz", rng.standard_normal((80, 3)).astype(np.float16), durations=(0.4, -0.4))
    else:
        arrays = dict(np.load(work / "cb.npz", allow_pickle=False))
        arrays["k"] = np.int64(5)
        np.savez(work / "cb.npz", **arrays)
        argv = ["discretize", good, "--out", work / "o.npz", "--use-codebook", work / "cb.npz"]
    before = snapshot(work)
    assert_one_error_line(invoke(*argv), *words)
    assert snapshot(work) == before


# --------------------------------------------------------------------------- clear messages


def test_clear_messages_for_nan_audio_a_missing_model_directory_and_an_empty_audio_path(work):
    import soundfile as sf

    from helpers import make_tiny_speech

    tiny = make_tiny_speech(work, n_utts=2, mixed_formats=False)
    wave = np.zeros(8000, np.float32)
    wave[4000] = np.nan
    (work / "nan").mkdir()
    sf.write(work / "nan" / "u.wav", wave, 16000, subtype="FLOAT")
    r = invoke("featurize", work / "nan", "--out", work / "f.npz")
    assert_one_error_line(r, "u.wav", "NaN or infinite samples", "0.250 s")

    r = invoke("featurize", tiny.audio_dir, "--feature", "hubert", "--model", "./nomodel", "--out", work / "f.npz",
               cwd=work)
    assert_one_error_line(r, "./nomodel", "no such model directory")

    (work / "list.tsv").write_text("utt\tpath\nu1\t\n", encoding="utf-8")
    r = invoke("featurize", work / "list.tsv", "--out", work / "f.npz")
    assert_one_error_line(r, "list.tsv:2", "empty audio path")
    assert not (work / "f.npz").exists()


# --------------------------------------------------------------------------- successful runs leave their inputs

# (command line with {w}, its outputs relative to the work directory)
SUCCESSFUL_RUNS = [
    (["featurize", "{w}/tiny/audio", "--out", "{w}/o/feats.npz"], ["o"]),
    (["discretize", "{w}/feats.npz", "--out", "{w}/o/u.npz", "--codebook", "{w}/o/cb.npz", "--k", "2"], ["o"]),
    (["word-units", "{w}/units.npz", "{w}/segments.tsv", "--out", "{w}/o/wu.tsv"], ["o"]),
    (["segments", "{w}/a.ctm", "--out", "{w}/o/s.tsv"], ["o"]),
    (["label-segments", "{w}/segs.tsv", "--gold", "{w}/segs.tsv", "--out", "{w}/o/l.tsv", "--report",
      "{w}/o/r.json"], ["o"]),
    (["segment-noise", "{w}/segs.tsv", "--split", "0,0.5", "--out", "{w}/o", "--report", "{w}/r.json"],
     ["o", "r.json"]),
    (["text-noise", "{w}/corpus.txt", "--substitute", "0.2", "--out", "{w}/o/t.txt"], ["o"]),
    (["unit-noise", "{w}/wu.tsv", "--substitute", "0.2", "--out", "{w}/o/n.tsv"], ["o"]),
    (["train", "text", "--corpus", "{w}/corpus.txt", "--out", "{w}/o", "--epochs", "1", "--min-count", "1"], ["o"]),
    (["train", "e2e", "--corpus", "{w}/corpus.txt", "--out", "{w}/o", "--epochs", "1", "--reference",
      "{w}/ref/vectors.vec", "--token-vectors", "{w}/tok.npz", *E2E], ["o", "tok.npz"]),
    (["train", "e2e", "--out", "{w}/run", "--resume", "--epochs", "3", "-q"], ["run"]),
    (["evaluate", "{w}/run/vectors.vec", "-r", "{w}/ref/vectors.vec", "--corpus", "{w}/corpus.txt", "--n-test", "20",
      "--skip-top", "2", "--bootstrap", "10", "--tsv", "{w}/o/e.tsv", "--json", "{w}/o/e.json", "--save-test-set",
      "{w}/o/ts.tsv"], ["o"]),
    (["plot", "curves", "{w}/m.tsv", "--out", "{w}/o/c.png"], ["o"]),
    (["plot", "sweep", "{w}/m.tsv", "--x", "epoch", "--out", "{w}/o/s.png"], ["o"]),
]


@pytest.mark.parametrize("argv, outputs", SUCCESSFUL_RUNS, ids=[" ".join(a[:2]) if a[0] in ("train", "plot") else a[0]
                                                                for a, _ in SUCCESSFUL_RUNS])
def test_a_successful_run_leaves_every_input_byte_for_byte(work, argv, outputs):
    from helpers import make_tiny_speech

    make_tiny_speech(work, n_utts=2, mixed_formats=False)
    if argv[0] == "discretize":
        ok(invoke("featurize", work / "tiny" / "audio", "--out", work / "feats.npz", "-q"))
    before = snapshot(work)
    ok(invoke(*[a.format(w=work) for a in argv], "-q"))
    after = snapshot(work)
    mine = lambda name: any(name == o or name.startswith(o + "/") for o in outputs)  # noqa: E731
    assert {k: v for k, v in after.items() if not mine(k)} == {k: v for k, v in before.items() if not mine(k)}
    assert any(mine(k) for k in after)


# --------------------------------------------------------------------------- reruns and resumes from the command line


def test_train_e2e_twice_from_the_command_line_is_byte_identical(work):
    common = ["train", "e2e", "--corpus", work / "corpus.txt", "--epochs", "2", "--reference", work / "ref" / "vectors.vec",
              *E2E]
    ok(invoke(*common, "--out", work / "a", "--token-vectors", work / "a.npz"))
    ok(invoke(*common, "--out", work / "b", "--token-vectors", work / "b.npz"))
    for name in ("vectors.vec", "test_set.tsv"):
        assert (work / "a" / name).read_bytes() == (work / "b" / name).read_bytes(), name
    _same_metrics(work / "a" / "metrics.tsv", work / "b" / "metrics.tsv")
    assert np.array_equal(io.read_token_vectors(work / "a.npz").vectors, io.read_token_vectors(work / "b.npz").vectors)


def _same_metrics(a: Path, b: Path) -> None:
    """metrics.tsv of two runs equal in every column but the timing ones."""
    _, rows_a = io.read_tsv(a, ["epoch"])
    _, rows_b = io.read_tsv(b, ["epoch"])
    timing = {"elapsed_s", "cpu_s", "examples_per_s"}
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for _, r in rows]  # noqa: E731
    assert strip(rows_a) == strip(rows_b)


def test_an_interrupted_run_resumed_from_the_command_line_equals_an_uninterrupted_one(work, monkeypatch):
    """Ctrl-C right after the checkpoint of epoch 2 of 4, then `train --resume`: the vectors and
    the metrics are those of a run that was never interrupted."""
    from spokenw2v import train
    from spokenw2v.checkpoints import load_checkpoint

    common = ["--reference", work / "ref" / "vectors.vec", *E2E]
    ok(invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "whole", "--epochs", "4", *common))

    real = train.save_checkpoint

    def interrupt_after_epoch_2(path, payload):
        real(path, payload)
        if Path(path).name == "last.pt" and payload["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(train, "save_checkpoint", interrupt_after_epoch_2)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "cut", "--epochs", "4", *common)
    assert r.exit_code == 130 and "--resume" in r.output
    assert load_checkpoint(work / "cut" / "last.pt")["epoch"] == 2 and not (work / "cut" / "vectors.vec").exists()
    monkeypatch.setattr(train, "save_checkpoint", real)
    ok(invoke("train", "e2e", "--out", work / "cut", "--resume", "-q"))
    assert (work / "cut" / "vectors.vec").read_bytes() == (work / "whole" / "vectors.vec").read_bytes()
    _same_metrics(work / "cut" / "metrics.tsv", work / "whole" / "metrics.tsv")


@pytest.mark.parametrize("argv, name", [
    (["featurize", "", "--out", "{w}/f.npz"], "PATH"),
    (["segments", "{w}/a.ctm", "--out", ""], "--out"),
    (["train", "text", "--corpus=", "--out", "{w}/r"], "--corpus"),
    (["evaluate", "{w}/ref/vectors.vec", "-r", "{w}/ref/vectors.vec", "--test-set", ""], "--test-set"),
], ids=["argument", "option", "option=", "evaluate"])
def test_an_empty_path_is_named_as_such(work, argv, name):
    """An empty path is one line saying so (a Path would have made it '.', the current directory)."""
    before = snapshot(work)
    assert_one_error_line(invoke(*[a.format(w=work) for a in argv], cwd=work), f"{name}: an empty path")
    assert snapshot(work) == before
