"""No command changes a user's results without a word, leaves part of its outputs after a
failure, or ends in a traceback on a full disk or an odd file name: a resumed run keeps its
test set, a sweep replaces its own earlier sweep as a whole, several outputs are written all
or none, failed writes on a full or read-only file system are one line naming the output,
numbers and lists are checked before any work, and damaged or mismatched inputs are named.

Tests that need a real full or read-only file system mount a small tmpfs and skip where
mounting is not permitted; every data-loss case hashes the files it must not touch."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error_line, invoke, make_tiny_speech, requires_espeak, snapshot, topic_corpus, unit_data
from spokenw2v import io

E2E = ["--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "-q"]


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A corpus, two text models (two references), units and segments, word units, tiny speech
    with its features and VTLN warps, and a two-epoch e2e run scored against reference A."""
    root = tmp_path_factory.mktemp("round4")
    io.write_corpus(root / "corpus.txt", topic_corpus(40))
    unit_data(root)  # units.npz, segments.tsv
    words = "utt\tstart\tend\tword\tunits\n" + "".join(
        f"u{i}\t{j * 0.2:.1f}\t{j * 0.2 + 0.2:.1f}\t{w}\t{' '.join(str((i + j + n) % 7) for n in range(3))}\n"
        for i in range(4) for j, w in enumerate(["cat", "dog", "the", "cat"]))
    (root / "wu.tsv").write_text(words, encoding="utf-8")
    ok(invoke("train", "text", "--corpus", root / "corpus.txt", "--out", root / "refA", "--epochs", "1",
              "--min-count", "1", "-q"))
    ok(invoke("train", "text", "--corpus", root / "corpus.txt", "--out", root / "refB", "--epochs", "2",
              "--min-count", "1", "--seed", "3", "-q"))
    ok(invoke("train", "e2e", "--corpus", root / "corpus.txt", "--out", root / "run", "--epochs", "1",
              "--reference", root / "refA" / "vectors.vec", *E2E))
    tiny = make_tiny_speech(root, n_utts=3, mixed_formats=False)
    ok(invoke("featurize", tiny.audio_dir, "--out", root / "feats.npz", "--vtln", "auto", "--warps-out",
              root / "warps.tsv", "-q"))
    return root


@pytest.fixture
def work(base, tmp_path) -> Path:
    shutil.copytree(base, tmp_path / "w", symlinks=True)
    return tmp_path / "w"


def _mount_tmpfs(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.decode(errors='replace').strip()})")


@pytest.fixture
def full_fs(tmp_path):
    """A 64 KiB tmpfs: small files fit, a checkpoint or a WAV of a few seconds does not."""
    path = tmp_path / "full"
    _mount_tmpfs(path, "size=64k")
    yield path
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def read_only_fs(tmp_path):
    path = tmp_path / "ro"
    _mount_tmpfs(path, "ro,size=64k")
    yield path
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --------------------------------------------------------------------------- 1. a resumed run keeps its test set


def test_resume_with_another_reference_is_refused_before_anything_is_written(work):
    run = work / "run"
    before = snapshot(work)
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "--reference", work / "refB" / "vectors.vec",
               "-q")
    assert_one_error_line(r, "--reference", "refB", "refA", "nothing was written")
    assert snapshot(work) == before


def test_resume_with_another_test_seed_is_refused_and_without_it_keeps_the_runs_seed(work):
    run = work / "seeded"
    ok(invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", run, "--epochs", "1",
              "--reference", work / "refA" / "vectors.vec", "--test-seed", "3", *E2E))
    test_set = (run / "test_set.tsv").read_bytes()
    before = snapshot(work)
    assert_one_error_line(invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "--test-seed", "4", "-q"),
                          "--test-seed 4", "--test-seed 3")
    assert snapshot(work) == before
    ok(invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "-q"))  # the run's own seed, 3
    assert (run / "test_set.tsv").read_bytes() == test_set
    rows = io.read_tsv(run / "metrics.tsv", ["epoch", "A"])[1]
    assert [row["epoch"] for _, row in rows] == ["0", "1", "2"] and all(row["A"] for _, row in rows)


def test_resume_after_the_reference_file_changed_is_refused(work):
    run, reference = work / "changed", work / "ref.vec"
    shutil.copyfile(work / "refA" / "vectors.vec", reference)
    ok(invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", run, "--epochs", "1",
              "--reference", reference, *E2E))
    shutil.copyfile(work / "refB" / "vectors.vec", reference)
    before = snapshot(work)
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "-q")
    assert_one_error_line(r, "ref.vec", "the reference file changed")
    assert snapshot(work) == before


def test_resume_with_a_reference_for_a_run_without_one_is_refused(work):
    run = work / "plain"
    ok(invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", run, "--epochs", "1", *E2E))
    before = snapshot(work)
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "--reference", work / "refA" / "vectors.vec",
               "-q")
    assert_one_error_line(r, "--reference", "trained without --reference")
    assert snapshot(work) == before


# --------------------------------------------------------------------------- 2, 4. a sweep directory is one sweep

SWEEPS = [
    (["segment-noise", "{w}/segments.tsv", "--seed", "1", "--split"], ["0,0.1", "0.3,0.4"], ".tsv"),
    (["text-noise", "{w}/corpus.txt", "--substitute"], ["0,0.1", "0.3,0.4"], ".txt"),
    (["unit-noise", "{w}/wu.tsv", "--substitute"], ["0,0.1", "0.3,0.4"], ".tsv"),
]


@pytest.mark.parametrize("argv, values, suffix", SWEEPS, ids=[s[0][0] for s in SWEEPS])
def test_a_sweep_rerun_into_its_directory_replaces_the_earlier_sweep(work, argv, values, suffix):
    out = work / "sweep"
    argv = [a.format(w=work) for a in argv]
    option = argv[-1][2:]
    ok(invoke(*argv, values[0], "--out", out, "--report", out / "report.json", "-q"))
    ok(invoke(*argv, values[1], "--out", out, "-q"))
    names = sorted(p.name for p in out.iterdir())
    assert names == [".spokenw2v-sweep", f"{option}-0.30{suffix}", f"{option}-0.40{suffix}"]


def test_an_interrupt_while_a_sweep_replaces_its_directory_keeps_the_earlier_sweep(work, monkeypatch):
    from spokenw2v.io import files

    out = work / "sweep"
    ok(invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0,0.1", "-q"))
    before = snapshot(work)
    real = os.replace

    def interrupted(src, dst):
        if Path(dst) == out and Path(src).name.endswith(".tmp"):  # the new sweep, not the earlier one
            raise KeyboardInterrupt  # after the earlier sweep was moved aside, before the new one is in place
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", interrupted)
    r = invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0.2,0.3", "-q")
    assert r.exit_code == 130, r.output
    assert snapshot(work) == before and sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []


def test_a_sweep_directory_holding_a_file_of_the_user_is_refused(work):
    out = work / "sweep"
    ok(invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0,0.1", "-q"))
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(work)
    r = invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0.2,0.3", "-q")
    assert_one_error_line(r, "notes.txt", "nothing was touched")
    assert snapshot(work) == before


def test_a_sweep_directory_of_an_earlier_version_is_replaced(work):
    out = work / "sweep"
    out.mkdir()
    (out / ".spokenw2v-sweep").write_text("spokenw2v sweep outputs\n", encoding="utf-8")
    (out / "substitute-0.50.txt").write_text("old\n", encoding="utf-8")
    ok(invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0,0.1", "-q"))
    assert sorted(p.name for p in out.iterdir()) == [".spokenw2v-sweep", "substitute-0.00.txt", "substitute-0.10.txt"]


def test_a_sweep_may_not_replace_a_directory_holding_its_input(work):
    out = work / "sweep"
    ok(invoke("text-noise", work / "corpus.txt", "--out", out, "--substitute", "0,0.1", "-q"))
    before = snapshot(work)
    r = invoke("text-noise", out / "substitute-0.10.txt", "--out", out, "--substitute", "0,0.2", "-q")
    assert_one_error_line(r, "would contain the input")
    assert snapshot(work) == before


def test_a_sweep_whose_report_fails_leaves_no_sweep_directory(work, monkeypatch):
    from spokenw2v import sweep

    monkeypatch.setattr(sweep, "write_record", _enospc)
    before = snapshot(work)
    r = invoke("text-noise", work / "corpus.txt", "--out", work / "sweep", "--substitute", "0,0.1",
               "--report", work / "report.json", "-q")
    assert_one_error_line(r, "No space left on device")
    assert not (work / "sweep").exists() and snapshot(work) == before


def test_a_sweep_whose_report_fails_keeps_the_earlier_sweep(work, monkeypatch):
    from spokenw2v import sweep

    ok(invoke("text-noise", work / "corpus.txt", "--out", work / "sweep", "--substitute", "0,0.1", "-q"))
    before = snapshot(work)
    monkeypatch.setattr(sweep, "write_record", _enospc)
    r = invoke("text-noise", work / "corpus.txt", "--out", work / "sweep", "--substitute", "0.2,0.3",
               "--report", work / "sweep" / "report.json", "-q")
    assert_one_error_line(r, "No space left on device")
    assert snapshot(work) == before


def test_a_sweep_report_on_a_read_only_file_system_is_refused_up_front(work, read_only_fs):
    r = invoke("segment-noise", work / "segments.tsv", "--out", work / "sweep", "--split", "0.3,0.4",
               "--report", read_only_fs / "r.json", "-q")
    assert_one_error_line(r, "r.json", "Read-only file system")
    assert not (work / "sweep").exists()


def test_a_report_equal_to_the_sweep_directory_is_refused_up_front(work):
    before = snapshot(work)
    r = invoke("text-noise", work / "corpus.txt", "--out", work / "sweep", "--substitute", "0,0.1",
               "--report", work / "sweep", "-q")
    assert_one_error_line(r, "sweep", "two different outputs")
    assert not (work / "sweep").exists() and snapshot(work) == before


# --------------------------------------------------------------------------- 3, 5. several outputs: all or none


def test_featurize_whose_warps_cannot_be_written_keeps_no_features(work, monkeypatch):
    from spokenw2v import vtln

    monkeypatch.setattr(vtln, "write_warps", _enospc)
    before = snapshot(work)
    r = invoke("featurize", work / "tiny" / "audio", "--out", work / "o.npz", "--vtln", work / "warps.tsv",
               "--warps-out", work / "w.tsv", "-q")
    assert_one_error_line(r, "No space left on device")
    assert snapshot(work) == before


def test_featurize_whose_features_fail_keeps_no_warps(work, monkeypatch):
    from spokenw2v import featurize

    monkeypatch.setattr(featurize, "featurize_corpus", _enospc)
    before = snapshot(work)
    r = invoke("featurize", work / "tiny" / "audio", "--out", work / "o.npz", "--vtln", work / "warps.tsv",
               "--warps-out", work / "w.tsv", "-q")
    assert_one_error_line(r, "No space left on device")
    assert snapshot(work) == before


def test_featurize_with_warps_out_on_a_read_only_file_system_writes_nothing(work, read_only_fs):
    before = snapshot(work)
    r = invoke("featurize", work / "tiny" / "audio", "--out", work / "o.npz", "--vtln", "auto",
               "--warps-out", read_only_fs / "w.tsv", "-q")
    assert_one_error_line(r, "w.tsv", "Read-only file system")
    assert snapshot(work) == before


def test_train_whose_token_vectors_cannot_be_written_leaves_no_vectors(work, monkeypatch):
    monkeypatch.setattr(io, "write_token_vectors", _enospc)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1",
               "--token-vectors", work / "tv.npz", *E2E)
    assert_one_error_line(r, "No space left on device")
    assert not (work / "r" / "vectors.vec").exists() and not (work / "tv.npz").exists()
    assert (work / "r" / "last.pt").is_file()  # the trained run stays, to be resumed


def test_train_with_token_vectors_on_a_read_only_file_system_writes_nothing(work, read_only_fs):
    before = snapshot(work)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1",
               "--token-vectors", read_only_fs / "tv.npz", *E2E)
    assert_one_error_line(r, "tv.npz", "Read-only file system")
    assert snapshot(work) == before


# --------------------------------------------------------------------------- 6, 7. a full disk is one line


def test_a_wav_on_a_full_disk_is_an_os_error_naming_it(full_fs):
    from spokenw2v import synthesize

    with pytest.raises(OSError) as info:
        synthesize._write_wav(full_fs / "a.wav", np.zeros(160000, np.float32), 16000)
    assert info.value.errno == errno.ENOSPC and "a.wav" in str(info.value.filename)
    assert list(full_fs.iterdir()) == []


@requires_espeak
def test_synthesize_on_a_full_disk_is_one_line_naming_the_file(work, full_fs):
    (work / "text.txt").write_text("the cat sat on the mat and the dog lay on the rug\n" * 3, encoding="utf-8")
    r = invoke("synthesize", work / "text.txt", "--out", full_fs / "speech", "--jobs", "1", "-q")
    line = assert_one_error_line(r, "No space left on device")
    assert str(full_fs / "speech") in line and ".wav" in line and "System error" not in line


def test_a_checkpoint_on_a_full_disk_is_an_os_error_naming_it(full_fs):
    import torch

    from spokenw2v.checkpoints import save_checkpoint

    with pytest.raises(OSError) as info:
        save_checkpoint(full_fs / "last.pt", {"weights": torch.zeros(100_000)})
    assert info.value.errno == errno.ENOSPC and str(info.value.filename).endswith("last.pt")
    assert list(full_fs.iterdir()) == []


def test_train_e2e_into_a_full_file_system_is_one_line(work, full_fs):
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", full_fs / "run", "--epochs", "1", *E2E)
    assert_one_error_line(r, str(full_fs / "run"), "No space left on device")
    assert not (full_fs / "run").exists()


# --------------------------------------------------------------------------- 8. bounded unit ids


@pytest.mark.parametrize("unit", ["99999999999999999999999", "2000000000", "65536"])
def test_word_unit_ids_are_bounded(work, unit):
    (work / "big.tsv").write_text(f"utt\tstart\tend\tword\tunits\nu1\t0\t1\tcat\t1 2\nu1\t1\t2\tdog\t3 {unit}\n",
                                  encoding="utf-8")
    before = snapshot(work)
    r = invoke("train", "e2e", "--word-units", work / "big.tsv", "--out", work / "r", *E2E)
    assert_one_error_line(r, "big.tsv:3", "65535")
    assert snapshot(work) == before


def test_the_largest_unit_id_is_accepted_and_other_digits_are_symbols(work):
    wu = "utt\tstart\tend\tword\tunits\nu1\t0\t1\tcat\t1 65535\nu1\t1\t2\tdog\t3 2\n"
    (work / "top.tsv").write_text(wu, encoding="utf-8")
    assert io.read_word_units(work / "top.tsv").k == 65536
    (work / "sup.tsv").write_text(wu.replace("65535", "\u00b2"), encoding="utf-8")  # a superscript two: a symbol
    units = io.read_word_units(work / "sup.tsv")
    assert units.symbols == ["1", "2", "3", "\u00b2"] and units.k == 4


# --------------------------------------------------------------------------- 9. learning rates and non-finite steps


@pytest.mark.parametrize("lr", ["1e308", "2", "0"])
def test_a_meaningless_learning_rate_is_refused(work, lr):
    before = snapshot(work)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--lr", lr, *E2E)
    assert_one_error_line(r, "--lr must be in (0, 1]")
    assert snapshot(work) == before


def test_an_optimizer_step_that_overflows_stops_with_one_line(work, monkeypatch):
    import torch

    def overflow(self, *args, **kwargs):
        raise RuntimeError("value cannot be converted to type float without overflow")

    monkeypatch.setattr(torch.optim.AdamW, "step", overflow)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1", *E2E)
    assert_one_error_line(r, "non-finite update at epoch 1, step 1", "--lr")


def test_a_step_leaving_non_finite_weights_stops_before_the_checkpoint(work, monkeypatch):
    """One step per epoch: the poisoned weights would have no later loss to show them."""
    import torch

    from spokenw2v.checkpoints import load_checkpoint

    real = torch.optim.AdamW.step

    def poison(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        with torch.no_grad():
            self.param_groups[0]["params"][0].fill_(float("inf"))
        return out

    monkeypatch.setattr(torch.optim.AdamW, "step", poison)
    r = invoke("train", "e2e", "--corpus", work / "corpus.txt", "--out", work / "r", "--epochs", "1",
               "--batch-tokens", "4096", "--negatives", "5", "--device", "cpu", "-q")
    assert_one_error_line(r, "non-finite weights after epoch 1")
    assert int(load_checkpoint(work / "r" / "last.pt")["epoch"]) == 0  # the previous epoch's checkpoint stays


# --------------------------------------------------------------------------- 10. file names that are not UTF-8


def test_evaluate_tsv_names_a_model_file_that_is_not_utf8(work):
    model = Path(os.fsdecode(bytes(work) + b"/m\xff.vec"))
    shutil.copyfile(work / "refA" / "vectors.vec", model)
    ok(invoke("evaluate", model, "--reference", work / "refA" / "vectors.vec", "--corpus", work / "corpus.txt",
              "--tsv", work / "ev.tsv", "--json", work / "ev.json", "--no-benchmarks", "--bootstrap", "0", "-q"))
    models = [row["model"] for _, row in io.read_tsv(work / "ev.tsv", ["model"])[1]]
    assert "m\\xff" in models


def test_plot_curves_of_a_run_directory_that_is_not_utf8(work):
    run = Path(os.fsdecode(bytes(work) + b"/run\xff"))
    shutil.copytree(work / "run", run)
    ok(invoke("plot", "curves", run / "metrics.tsv", "--out", work / "c.png", "--title", os.fsdecode(b"t\xfe"), "-q"))
    assert (work / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- 11, 12. every option before any work

BAD_OPTIONS = [
    (["featurize", "{w}/tiny/audio", "--out", "{w}/shards", "--shard", "0/2147483648"], "--shard"),
    (["evaluate", "{w}/refA/vectors.vec", "--top", "0", "--neighbours", "cat"], "--top"),
    (["evaluate", "{w}/refA/vectors.vec", "--neighbours", "cat,,dog"], "--neighbours"),
    (["synthesize", "{w}/corpus.txt", "--out", "{w}/s", "--rates", "170,,200"], "--rates"),
    (["synthesize", "{w}/corpus.txt", "--out", "{w}/s", "--voices", "en-us,"], "--voices"),
    (["demo", "{w}/demo", "--device", "bogus"], "--device"),
]


@pytest.mark.parametrize("argv, option", BAD_OPTIONS, ids=[f"{a[0]}{o}" for a, o in BAD_OPTIONS])
def test_a_bad_option_is_one_line_before_any_work(work, argv, option):
    before = snapshot(work)
    r = invoke(*[a.format(w=work) for a in argv], "-q")
    assert_one_error_line(r, option)
    assert snapshot(work) == before and not (work / "demo").exists()


# --------------------------------------------------------------------------- 13, 14. damaged and mismatched inputs


def test_a_truncated_wav_is_one_line_naming_the_file_and_the_shortfall(work):
    audio = work / "tiny" / "audio"
    wav = sorted(audio.glob("*.wav"))[0]
    data = wav.read_bytes()
    wav.write_bytes(data[:len(data) - 8000])  # 8000 bytes = 0.25 s of 16 kHz 16-bit mono
    before = snapshot(work)
    r = invoke("featurize", audio, "--out", work / "o.npz", "-q")
    assert_one_error_line(r, wav.name, "truncated WAV", "0.250 s of audio")
    assert snapshot(work) == before


def test_a_codebook_of_another_frame_rate_names_the_frame_rate(work):
    ok(invoke("discretize", work / "feats.npz", "--out", work / "u.npz", "--codebook", work / "cb.npz", "--k", "4",
              "-q"))
    ok(invoke("featurize", work / "tiny" / "audio", "--out", work / "f20.npz", "--hop-ms", "20", "-q"))
    before = snapshot(work)
    r = invoke("discretize", work / "f20.npz", "--out", work / "u20.npz", "--use-codebook", work / "cb.npz", "-q")
    assert_one_error_line(r, "f20.npz", "frame rate 50 frames/s", "100 frames/s")
    assert snapshot(work) == before
