"""`-` for standard input and output, pipelines through real shell pipes, and examples/Makefile.

A stage that reads `-` or writes `-` must give exactly the bytes of the file-to-file run;
logs stay on stderr; a failing stage writes nothing to stdout; binary files, directories
and a second `-` on one side are refused with one `Error:` line.
"""

from __future__ import annotations

import io as stdio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import REPO, VOCABULARY, assert_one_error_line
from spokenw2v import io
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError

runner = CliRunner()


def _invoke(args, stdin: bytes | str | None = None):
    result = runner.invoke(app, [str(a) for a in args], input=stdin)
    return result


def _ok(result):
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


def _error(result) -> str:
    """The one-line error of a failed command (and nothing on stdout, nothing else on stderr)."""
    line = assert_one_error_line(result)
    assert result.stdout == "" and result.stderr.strip() == line, result.output
    return line


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(PYTHONPATH=str(REPO), OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def _bash(command: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``command`` with bash as a user does (pipefail: a failing stage fails the pipe)."""
    proc = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=cwd, env=_env(), capture_output=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    return proc


@pytest.fixture
def stdin_bytes(monkeypatch):
    """Replace sys.stdin by a stream of the given bytes."""

    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", stdio.TextIOWrapper(stdio.BytesIO(data), encoding="utf-8"))

    return feed


SEGS = ("utt\tstart\tend\tword\n"
        "u1\t0.1\t0.4\tthe\nu1\t0.5\t0.9\tcat\nu1\t1.0\t1.3\tsat\n"
        "u2\t0.2\t0.6\ta\nu2\t0.7\t1.1\tdog\n")


# --------------------------------------------------------------------------- the library


def test_readers_take_standard_input_once_and_writers_match_files(tmp_path, stdin_bytes, capsysbinary):
    stdin_bytes(SEGS.encode())
    seg = io.read_segments("-", require_words=True)
    assert seg.word == ["the", "cat", "sat", "a", "dog"] and seg.utt[-1] == "u2"
    # standard input is read once; a second reader of `-` gets the same text
    assert io.read_segments(Path("-")).word == seg.word
    capsysbinary.readouterr()
    io.write_segments("-", seg)
    io.write_segments(tmp_path / "segs.tsv", seg)
    assert capsysbinary.readouterr().out == (tmp_path / "segs.tsv").read_bytes()
    assert not Path("-").exists()

    stdin_bytes("In the beginning, God\n\ncreated the heaven.\n".encode())
    assert io.read_corpus("-") == [["in", "the", "beginning", "god"], ["created", "the", "heaven"]]
    stdin_bytes(b"\xff\xfe not text")
    with pytest.raises(SpokenW2VError, match="standard input is not UTF-8"):
        io.read_corpus("-")


def test_test_set_and_vectors_from_standard_input(tmp_path, stdin_bytes):
    ts = io.TestSet(["cat", "cat"], ["dog", "mat"], ["semantic", "orthographic"], seed=7, params={"n_test": "1"},
                    freq1=[5, 5], freq2=[3, 2], split=["test", "test"])
    io.write_test_set(tmp_path / "ts.tsv", ts)
    stdin_bytes((tmp_path / "ts.tsv").read_bytes())
    back = io.read_test_set("-")  # reads the pairs and the '#' lines: two passes over one stdin
    assert (back.word1, back.word2, back.relation, back.seed, back.params, back.freq2, back.split) == \
        (ts.word1, ts.word2, ts.relation, 7, {"n_test": "1"}, [3, 2], ["test", "test"])
    wv = io.WordVectors(["cat", "dog"], np.asarray([[1, 0], [0.5, 0.25]], dtype=np.float32))
    io.write_vectors(tmp_path / "v.vec", wv)
    stdin_bytes((tmp_path / "v.vec").read_bytes())
    assert io.read_vectors("-").words == ["cat", "dog"]


def test_stdout_gets_nothing_when_the_writer_fails(capsysbinary):
    with pytest.raises(RuntimeError, match="the stage failed"):
        with io.atomic_path("-", stdout=True) as tmp:
            tmp.write_text("half of an output")
            raise RuntimeError("the stage failed")
    assert capsysbinary.readouterr().out == b""
    with pytest.raises(SpokenW2VError, match="binary zip archives"):
        io.write_units("-", io.Ragged.from_list([], [], [], io.FrameInfo(100, 0.0125, 0.025, "mfcc")), 4, "c", "x")
    with pytest.raises(SpokenW2VError, match="cannot go to standard output"):
        with io.atomic_path("-"):
            pass
    with pytest.raises(SpokenW2VError, match="binary zip archives"):
        io.read_units("-")


# --------------------------------------------------------------------------- the commands, in process


def test_segments_and_noise_commands_write_stdout_like_files(librispeech_sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    align = librispeech_sample / "alignments"
    _ok(_invoke(["segments", align, "--out", "segs.tsv"]))
    result = _ok(_invoke(["segments", align, "--out", "-"]))
    assert result.stdout_bytes == Path("segs.tsv").read_bytes()
    assert "Wrote standard output" in result.stderr

    _ok(_invoke(["segment-noise", "segs.tsv", "--split", "0.1", "--seed", "3", "--out", "noisy.tsv",
                 "--report", "report.json"]))
    piped = _ok(_invoke(["segment-noise", "-", "--split", "0.1", "--seed", "3", "--out", "-"],
                        Path("segs.tsv").read_bytes()))
    assert piped.stdout_bytes == Path("noisy.tsv").read_bytes()
    report = _ok(_invoke(["segment-noise", "segs.tsv", "--split", "0.1", "--seed", "3", "--out", "noisy2.tsv",
                          "--report", "-"]))
    runs = json.loads(report.stdout)["runs"]
    assert runs[0]["output"] == "noisy2.tsv" and Path("noisy2.tsv").read_bytes() == Path("noisy.tsv").read_bytes()
    assert runs[0]["boundary_f1"] == json.loads(Path("report.json").read_text())["runs"][0]["boundary_f1"]

    labelled = _ok(_invoke(["label-segments", "-", "--gold", "segs.tsv", "--out", "-"],
                           Path("noisy.tsv").read_bytes()))
    _ok(_invoke(["label-segments", "noisy.tsv", "--gold", "segs.tsv", "--out", "labelled.tsv"]))
    assert labelled.stdout_bytes == Path("labelled.tsv").read_bytes()

    text = "In the beginning God created the heaven and the earth.\nAnd the earth was without form.\n" * 5
    Path("corpus.txt").write_text(text)
    _ok(_invoke(["text-noise", "corpus.txt", "--substitute", "0.3", "--seed", "1", "--out", "noisy.txt"]))
    result = _ok(_invoke(["text-noise", "-", "--substitute", "0.3", "--seed", "1", "--out", "-"], text))
    assert result.stdout_bytes == Path("noisy.txt").read_bytes()
    assert not Path("-").exists()


def test_word_units_reads_segments_from_stdin_and_writes_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    info = io.FrameInfo(frame_rate=100.0, frame_offset=0.0125, frame_width=0.025, feature="mfcc")
    rng = np.random.default_rng(0)
    frames = io.Ragged.from_list(["u1", "u2"], [rng.integers(0, 8, 140), rng.integers(0, 8, 120)], [1.4, 1.2], info)
    io.write_units("units.npz", frames, 8, "cb.npz", "abc")
    Path("segs.tsv").write_text(SEGS)
    _ok(_invoke(["word-units", "units.npz", "segs.tsv", "--out", "wu.tsv"]))
    result = _ok(_invoke(["word-units", "units.npz", "-", "--out", "-"], SEGS))
    assert result.stdout_bytes == Path("wu.tsv").read_bytes()


def _vectors(path: Path, words, seed: int) -> None:
    rng = np.random.default_rng(seed)
    io.write_vectors(path, io.WordVectors(list(words), rng.standard_normal((len(words), 6)).astype(np.float32)))


def test_evaluate_writes_tsv_or_json_to_stdout_and_its_tables_to_stderr(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    words = [f"{a}{b}" for a in VOCABULARY for b in ("", "s", "ed")]
    rng = np.random.default_rng(1)
    corpus = "\n".join(" ".join(rng.choice(words, 12, p=np.arange(len(words), 0, -1) / sum(range(len(words) + 1))))
                       for _ in range(60)) + "\n"
    Path("corpus.txt").write_text(corpus)
    _vectors(Path("ref.vec"), words, 0)
    _vectors(Path("model.vec"), words, 1)
    common = ["--reference", "ref.vec", "--seed", "0", "--n-test", "10", "--no-benchmarks", "--bootstrap", "20"]
    _ok(_invoke(["evaluate", "model.vec", "--corpus", "corpus.txt", *common, "--tsv", "res.tsv",
                 "--save-test-set", "ts.tsv"]))
    result = _ok(_invoke(["evaluate", "model.vec", "--corpus", "-", *common, "--tsv", "-"], corpus))
    assert result.stdout_bytes == Path("res.tsv").read_bytes()  # only the TSV: the table went to stderr
    assert "Word vectors" in result.stderr

    # a test set and a model from standard input; JSON to standard output
    result = _ok(_invoke(["evaluate", "-", "--reference", "ref.vec", "--test-set", "ts.tsv", "--no-benchmarks",
                          "--bootstrap", "20", "--seed", "0", "--json", "-", "--neighbours", "cat"],
                         Path("model.vec").read_bytes()))
    doc = json.loads(result.stdout)
    row = [r for _, r in io.read_tsv("res.tsv", ["model", "A", "row"])[1] if r["row"] == "model"][0]
    assert doc["models"][0]["A"] == pytest.approx(float(row["A"]), abs=1e-6)
    assert "Nearest neighbours" in result.stderr
    result = _ok(_invoke(["evaluate", "model.vec", "--test-set", "-", *common[:2], "--no-benchmarks", "--bootstrap",
                          "20", "--seed", "0", "--tsv", "-"], Path("ts.tsv").read_bytes()))
    assert result.stdout_bytes == Path("res.tsv").read_bytes()

    # a segments TSV on standard input is recognised by its header (as a .tsv file would be)
    seg_rows = ["utt\tstart\tend\tword"] + [f"u{i}\t{j}\t{j + 0.5}\t{w}" for i, line in
                                            enumerate(corpus.splitlines()) for j, w in enumerate(line.split())]
    Path("segs.tsv").write_text("\n".join(seg_rows) + "\n")
    _ok(_invoke(["evaluate", "model.vec", "--corpus", "segs.tsv", *common, "--tsv", "res-segs.tsv"]))
    result = _ok(_invoke(["evaluate", "model.vec", "--corpus", "-", *common, "--tsv", "-"],
                         Path("segs.tsv").read_bytes()))
    assert result.stdout_bytes == Path("res-segs.tsv").read_bytes()


@pytest.mark.parametrize("args, says", [
    (["discretize", "feats.npz", "--out", "-", "--codebook", "cb.npz"], "binary zip archives"),
    (["discretize", "-", "--out", "u.npz", "--codebook", "cb.npz"], "binary zip archives"),
    (["word-units", "-", "segs.tsv", "--out", "wu.tsv"], "binary zip archives"),
    (["featurize", "audio", "--out", "-"], "directory of shards"),
    (["featurize", "-", "--out", "f.npz"], "audio is found in a directory"),
    (["segments", "-", "--out", "s.tsv"], "recognised by their names"),
    (["segment-noise", "segs.tsv", "--durations", "-", "--out", "n.tsv"], "utterance lengths"),
    (["segment-noise", "segs.tsv", "--split", "0,0.1", "--out", "-"], "one file per value"),
    (["segment-noise", "segs.tsv", "--out", "-", "--report", "-"], "only one output"),
    (["label-segments", "-", "--gold", "-", "--out", "l.tsv"], "only one input"),
    (["train", "text", "--corpus", "corpus.txt", "--out", "-"], "run directory"),
    (["train", "e2e", "--corpus", "corpus.txt", "--out", "run", "--token-vectors", "-"], "binary zip archives"),
    (["synthesize", "corpus.txt", "--out", "-"], "directory"),
    (["plot", "sweep", "segs.tsv", "--out", "-", "--y", "start"], "PNG figure is a binary file"),
    (["evaluate", "-", "-"], "only one input"),
    (["demo", "-"], "writes a directory"),
])
def test_dash_where_a_stage_needs_a_file_or_a_directory_is_one_error(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    Path("segs.tsv").write_text(SEGS)
    Path("corpus.txt").write_text("the cat sat\n")
    line = _error(_invoke(args, ""))
    assert says in line and "-" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "segs.tsv"]  # nothing written


def test_a_failing_stage_writes_nothing_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = SEGS + "u3\t0.5\t0.2\tbackwards\n"
    line = _error(_invoke(["segment-noise", "-", "--jitter", "0.01", "--out", "-"], bad))
    assert "-:7" in line and "reversed segment" in line


# --------------------------------------------------------------------------- real shell pipes


def test_three_stages_through_shell_pipes_equal_the_files(librispeech_sample, tmp_path):
    align = librispeech_sample / "alignments"
    segs, noisy, labelled = tmp_path / "segs.tsv", tmp_path / "noisy.tsv", tmp_path / "labelled.tsv"
    _ok(_invoke(["segments", align, "--out", segs]))
    _ok(_invoke(["segment-noise", segs, "--jitter", "0.02", "--split", "0.05", "--seed", "1", "--out", noisy]))
    _ok(_invoke(["label-segments", noisy, "--gold", segs, "--out", labelled]))

    proc = _bash(f"spokenw2v segments {align} --out - "
                 f"| spokenw2v segment-noise - --jitter 0.02 --split 0.05 --seed 1 --out - "
                 f"| tee middle.tsv "
                 f"| spokenw2v label-segments - --gold {segs} --out -", cwd=tmp_path)
    assert proc.stdout == labelled.read_bytes()
    assert (tmp_path / "middle.tsv").read_bytes() == noisy.read_bytes()
    assert b"Wrote standard output" in proc.stderr  # the logs went to stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.tsv", "middle.tsv", "noisy.tsv", "segs.tsv"]


@pytest.mark.slow
def test_alignments_to_trained_vectors_through_pipes(librispeech_sample, tmp_path):
    align = librispeech_sample / "alignments"
    segs, noisy = tmp_path / "segs.tsv", tmp_path / "noisy.tsv"
    train = ["train", "text", "--min-count", "1", "--epochs", "2", "--dims", "20", "--seed", "4"]
    _ok(_invoke(["segments", align, "--out", segs]))
    _ok(_invoke(["segment-noise", segs, "--jitter", "0.02", "--seed", "1", "--out", noisy]))
    _ok(_invoke([*train, "--segments", noisy, "--out", tmp_path / "files"]))

    _bash(f"spokenw2v segments {align} --out - | spokenw2v segment-noise - --jitter 0.02 --seed 1 --out - "
          f"| spokenw2v {' '.join(train)} --segments - --out piped", cwd=tmp_path)
    assert (tmp_path / "piped" / "vectors.vec").read_bytes() == (tmp_path / "files" / "vectors.vec").read_bytes()
    config = json.loads((tmp_path / "piped" / "config.json").read_text())
    assert config["inputs"]["segments"] == "-"


def test_a_reader_that_stops_early_ends_the_stage_quietly(tmp_path):
    rows = "".join(f"u{u}\t{j}\t{j + 0.5}\tw{j}\n" for u in range(1500) for j in range(20))
    (tmp_path / "big.tsv").write_text("utt\tstart\tend\tword\n" + rows)  # more than a pipe's buffer
    proc = subprocess.run(["bash", "-c", "spokenw2v segment-noise big.tsv --out - -q | head -n 1; "
                           "echo \"${PIPESTATUS[0]}\" >&2"], cwd=tmp_path, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout == "utt\tstart\tend\tword\tgold\top\n"
    assert proc.stderr.strip() == "141"  # like a Unix tool stopped by SIGPIPE: no message, no traceback


def _long_path_segments(tmp_path: Path) -> tuple[Path, Path]:
    deep = tmp_path / ("a-directory-with-a-long-name-" * 4)
    deep.mkdir()
    (deep / "in.tsv").write_text("utt\tstart\tend\tword\n" + "".join(f"u0\t{j}\t{j + 0.5}\tw{j}\n" for j in range(5)))
    return deep / "in.tsv", deep / "out.tsv"


def test_log_lines_are_not_wrapped_when_stderr_is_not_a_terminal(tmp_path):
    source, out = _long_path_segments(tmp_path)
    result = _ok(_invoke(["segment-noise", source, "--out", out, "--delete", "0.2"]))
    lines = result.stderr.splitlines()
    wrote = [line for line in lines if line.startswith("Wrote ")]
    assert len(str(out)) > 100 and len(wrote) == 1 and str(out) in wrote[0], result.stderr
    assert any(line.startswith(f"segment-noise: {source} (5 segments") for line in lines), result.stderr


def test_log_lines_through_a_real_pipe_are_one_line_each(tmp_path):
    source, out = _long_path_segments(tmp_path)
    proc = subprocess.run(["bash", "-c", f"spokenw2v segment-noise '{source}' --out '{out}' --delete 0.2 2>&1 | cat"],
                          cwd=tmp_path, env={**_env(), "COLUMNS": "40"}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
    assert any(line.startswith("Wrote ") and str(out) in line for line in proc.stdout.splitlines()), proc.stdout


# --------------------------------------------------------------------------- examples/Makefile


def _make_version() -> tuple[int, ...]:
    if shutil.which("make") is None:
        return ()
    out = subprocess.run(["make", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"GNU Make (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else ()


def _commands(dry_run: str) -> list[str]:
    """The spokenw2v subcommands of a `make -n` listing, in order (``train e2e``, ``plot curves``...)."""
    return re.findall(r"^spokenw2v ((?:train|plot) [\w-]+|[\w-]+)", dry_run, flags=re.M)


@pytest.mark.slow
@pytest.mark.skipif(not _make_version(), reason="needs GNU Make")
@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("bible") is None,
                    reason="needs espeak-ng and the Debian package bible-kjv")
def test_makefile_tiny_runs_once_and_then_only_what_changed(tmp_path):
    make = f"make -f {REPO / 'examples' / 'Makefile'} TINY=1 OUT=out"
    proc = _bash(f"{make} -j2", cwd=tmp_path, timeout=900)
    out = tmp_path / "out"
    for name in ("results-k16.tsv", "results-k16.json", "sweep.tsv", "curves-k16.png", "sweep.png",
                 "word-units-k16.tsv", "test-set.tsv"):
        assert (out / name).is_file(), name
    _, rows = io.read_tsv(out / "results-k16.tsv", ["model", "A", "row"])
    rows = [(n, r) for n, r in rows if r["row"] == "model"]  # not the null rows
    assert [r["model"] for _, r in rows] == ["text", "two-stage-chars", "e2e-chars", "two-stage-units-k16",
                                             "e2e-units-k16"]
    assert float(rows[0][1]["A"]) == pytest.approx(1.0)
    assert proc.stdout.count(b"spokenw2v ") >= 17

    # a second make does nothing
    assert subprocess.run(f"{make} -q", shell=True, cwd=tmp_path, env=_env()).returncode == 0
    assert b"Nothing to be done" in _bash(make, cwd=tmp_path).stdout

    # another K re-discretizes and retrains the unit models, but does not re-featurize
    k8 = _commands(_bash(f"{make} -n K=8", cwd=tmp_path).stdout.decode())
    assert sorted(k8) == sorted(["discretize", "word-units", "train two-stage", "train e2e", "evaluate",
                                 "plot curves"])
    # another epoch count retrains the models it concerns, and writes nothing under -n
    epochs = _commands(_bash(f"{make} -n UNIT_EPOCHS=2", cwd=tmp_path).stdout.decode())
    assert sorted(epochs) == sorted(["train two-stage", "train e2e", "evaluate", "plot curves"])
    assert (out / "settings" / "UNIT_EPOCHS").read_text() == "1\n"
    # touching the text re-synthesizes, and everything after it follows
    os.utime(out / "text.txt")
    touched = _commands(_bash(f"{make} -n", cwd=tmp_path).stdout.decode())
    assert touched[0] == "synthesize" and {"featurize", "discretize", "train e2e", "evaluate"} <= set(touched)
    assert subprocess.run(f"{make} -q", shell=True, cwd=tmp_path, env=_env()).returncode == 1
