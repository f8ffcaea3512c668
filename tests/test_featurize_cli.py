"""`spokenw2v featurize` end to end on generated audio, tiny models and the LibriSpeech sample."""

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers import assert_one_error_line, make_tiny_speech, requires_cuda, save_tiny_model, write_librispeech_alignment
from spokenw2v.cli import app
from spokenw2v.io import iter_features, npz_files, read_features, read_segments

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def read_all(path):
    """{utt: frames} and the FrameInfo of a features file or directory."""
    out, info, durations = {}, None, {}
    for shard in iter_features(path):
        info = shard.info
        for u, (utt, frames) in enumerate(shard.items()):
            out[utt] = frames
            durations[utt] = shard.durations[u]
    return out, info, durations


@pytest.fixture
def tiny(tmp_path):
    return make_tiny_speech(tmp_path, n_utts=4)


@pytest.fixture(scope="module")
def tiny_hubert(tmp_path_factory):

    return save_tiny_model(tmp_path_factory.mktemp("m") / "hubert", "hubert")


def test_segments_then_featurize_mfcc(tiny, tmp_path):
    al = write_librispeech_alignment(tiny, tmp_path / "tiny.alignment.txt")
    segs = tmp_path / "segs.tsv"
    assert run("segments", al, "--out", segs).exit_code == 0
    got, exact = read_segments(segs), read_segments(tiny.segments)
    assert got.utt == exact.utt and got.word == exact.word
    np.testing.assert_allclose(got.start, exact.start, atol=1e-4)
    np.testing.assert_allclose(got.end, exact.end, atol=1e-4)

    out = tmp_path / "feats"
    r = run("featurize", tiny.audio_list, "--out", out, "--segments", segs, "--shard-frames", 150)
    assert r.exit_code == 0, r.output
    assert "4 utterances" in " ".join(r.output.split())
    files = npz_files(out)
    assert [f.name for f in files][:2] == ["part-00000-of-00001-00000.npz", "part-00000-of-00001-00001.npz"]
    feats, info, durations = read_all(out)
    assert list(feats) == tiny.utts  # sorted, all utterances, silences kept
    assert (info.feature, info.frame_rate, info.frame_offset, info.frame_width) == ("mfcc", 100.0, 0.0, 0.025)
    for utt in tiny.utts:
        assert feats[utt].shape == (1 + tiny.samples_16k[utt] // 160, 39)
        assert feats[utt].dtype == np.float16
        assert durations[utt] == pytest.approx(tiny.durations[utt])
    # word frames are louder than the silences around them (c0 is log energy)
    utt = tiny.utts[0]
    s, e, _ = tiny.words[utt][0]
    c0 = feats[utt][:, 0].astype(np.float32)
    assert c0[int(s * 100) + 3: int(e * 100) - 3].mean() > c0[: int(s * 100) - 3].mean() + 10

    # the same corpus in one .npz file, float32, read from a directory of audio files
    single = tmp_path / "feats.npz"
    r = run("featurize", tiny.audio_dir, "--out", single, "--dtype", "float32", "--alignments", al, "-q")
    assert r.exit_code == 0, r.output
    one = read_features(single)
    assert one.values.dtype == np.float32 and one.utt_ids == tiny.utts
    for utt, frames in one.items():
        np.testing.assert_allclose(frames, feats[utt].astype(np.float32), rtol=2e-3, atol=0.05)


def test_mfcc_hop_ms_sets_the_frame_rate(tiny, tiny_hubert, tmp_path):
    """--hop-ms 20: 50 frames/s, frame i centred on sample 320 i, the same spectra as every
    second frame at 10 ms up to the deltas (their window spans twice the time)."""
    ten, twenty = tmp_path / "10.npz", tmp_path / "20.npz"
    assert run("featurize", tiny.audio_list, "--out", ten, "--dtype", "float32", "-q").exit_code == 0
    r = run("featurize", tiny.audio_list, "--out", twenty, "--dtype", "float32", "--hop-ms", "20", "-q")
    assert r.exit_code == 0, r.output
    a, b = read_features(ten), read_features(twenty)
    assert (b.info.frame_rate, b.info.frame_offset, b.info.frame_width) == (50.0, 0.0, 0.025)
    for utt in tiny.utts:
        fa, fb = dict(a.items())[utt], dict(b.items())[utt]
        assert fb.shape == (1 + tiny.samples_16k[utt] // 320, 39)
        np.testing.assert_allclose(fb[:, :13], fa[::2, :13], rtol=1e-3, atol=0.1)  # the cepstra themselves
    for bad, needle in ((["--hop-ms", "0"], "--hop-ms"), (["--hop-ms", "30"], "--hop-ms"),
                        (["--hop-ms", "20", "--feature", "hubert", "--model", tiny_hubert], "applies to --feature mfcc")):
        r = run("featurize", tiny.audio_list, "--out", tmp_path / "bad.npz", *bad)
        assert_one_error_line(r, needle)
        assert not (tmp_path / "bad.npz").exists()


def test_featurize_tiny_hubert(tiny, tiny_hubert, tmp_path):
    out = tmp_path / "hubert.npz"
    r = run("featurize", tiny.audio_list, "--out", out, "--feature", "hubert", "--model", tiny_hubert,
            "--layer", 1, "--device", "cpu")
    assert r.exit_code == 0, r.output
    f = read_features(out)
    assert (f.info.feature, f.info.model, f.info.layer) == ("hubert", str(tiny_hubert), 1)
    assert (f.info.frame_rate, f.info.frame_offset, f.info.frame_width) == (50.0, 0.0125, 0.025)
    for utt, frames in f.items():
        assert frames.shape == ((tiny.samples_16k[utt] - 400) // 320 + 1, 32)
    assert np.isfinite(f.values.astype(np.float32)).all() and np.abs(f.values).max() > 0.1


def test_shards_of_one_directory_equal_a_single_run(tiny, tmp_path):
    whole = tmp_path / "whole.npz"
    assert run("featurize", tiny.audio_list, "--out", whole, "-q").exit_code == 0
    parts = tmp_path / "parts"
    for i in (1, 0):
        r = run("featurize", tiny.audio_list, "--out", parts, "--shard", f"{i}/2", "-q")
        assert r.exit_code == 0, r.output
    names = [f.name for f in npz_files(parts)]
    assert names == ["part-00000-of-00002-00000.npz", "part-00001-of-00002-00000.npz"]
    got, _, _ = read_all(parts)
    ref = read_features(whole)
    assert list(got) == ref.utt_ids  # parts are contiguous blocks in sorted order
    for utt, frames in ref.items():
        np.testing.assert_array_equal(got[utt], frames)
    # re-running a part replaces its files; a part of another split is refused
    assert run("featurize", tiny.audio_list, "--out", parts, "--shard", "0/2", "-q").exit_code == 0
    assert len(npz_files(parts)) == 2
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", parts, "--shard", "0/3"), "2-way split")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", whole, "--shard", "0/2"), "needs a directory")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", parts, "--shard", "2/2"), "0 <= i < n")


def test_bad_audio_fails_cleanly_and_skip_bad_counts(tiny, tmp_path):
    bad = tiny.audio_dir / "utt001.flac"
    bad.write_bytes(b"garbage")
    out = tmp_path / "feats"
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", out), bad, "unreadable audio", "utt001")
    assert not out.exists()

    r = run("featurize", tiny.audio_list, "--out", out, "--skip-bad")
    assert r.exit_code == 0, r.output
    assert "Skipped: 1 unreadable, missing or empty audio files" in " ".join(r.output.split())
    feats, _, _ = read_all(out)
    assert list(feats) == ["utt000", "utt002", "utt003"]

    sf.write(tiny.audio_dir / "utt001.flac", np.zeros(0, np.float32), 16000, format="WAV")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", tmp_path / "x"), "utt001.flac", "zero-length")
    sf.write(tiny.audio_dir / "utt001.flac", np.zeros(100, np.float32), 16000, format="WAV")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", tmp_path / "x"), "utt001.flac", "too short")
    bad.unlink()
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", tmp_path / "x"), "utt001.flac", "no such audio")
    assert not (tmp_path / "x").exists()


def test_segments_must_match_the_audio(tiny, tmp_path):
    segs = tiny.segments
    text = segs.read_text()
    out = tmp_path / "f.npz"

    extra = tmp_path / "extra.tsv"
    extra.write_text(text + "ghost\t0.1\t0.2\tboo\n")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", out, "--segments", extra),
                          extra, "utterance ghost", "no audio")
    missing = tmp_path / "missing.tsv"
    missing.write_text("".join(ln for ln in text.splitlines(True) if not ln.startswith("utt002")))
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", out, "--segments", missing),
                          "utt002", "has no segments in", missing)
    past = tmp_path / "past.tsv"
    end = tiny.durations["utt003"]
    past.write_text(text + f"utt003\t{end + 0.1}\t{end + 0.5}\tlate\n")
    assert_one_error_line(run("featurize", tiny.audio_list, "--out", out, "--segments", past),
                          "utterance utt003", "past the end of the audio")
    assert not out.exists()

    both = tmp_path / "both.tsv"
    both.write_text("".join(ln for ln in text.splitlines(True) if not ln.startswith("utt002"))
                    + "ghost\t0.1\t0.2\tboo\n" + f"utt003\t{end + 0.1}\t{end + 0.5}\tlate\n")
    r = run("featurize", tiny.audio_list, "--out", out, "--segments", both, "--skip-bad")
    assert r.exit_code == 0, r.output
    summary = " ".join(r.output.split())
    assert "1 utterances with audio but no segments" in summary
    assert "1 utterances with segments but no audio" in summary
    assert "1 utterances with segments past the end of the audio" in summary
    assert read_features(out).utt_ids == ["utt000", "utt001"]


def test_librispeech_sample_mfcc(librispeech_sample, tmp_path):
    tree = librispeech_sample / "dev-clean"
    utts = ["84-121123-0000", "84-121123-0001", "174-50561-0000"]
    listing = tmp_path / "three.tsv"
    listing.write_text("utt\tpath\n" + "".join(
        f"{u}\t{tree / u.split('-')[0] / u.split('-')[1] / (u + '.flac')}\n" for u in utts))
    out = tmp_path / "ls.npz"
    r = run("featurize", listing, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    f = read_features(out)
    assert f.utt_ids == sorted(utts)
    for utt, frames in f.items():
        n = sf.info(str(tree / utt.split("-")[0] / utt.split("-")[1] / f"{utt}.flac")).frames
        assert frames.shape == (1 + n // 160, 39)
    assert f.durations[f.index()["84-121123-0000"]] == pytest.approx(2.09)
    # the alignments cover 49 utterances; only three have audio here
    assert_one_error_line(run("featurize", listing, "--out", tmp_path / "y.npz", "--alignments",
                              librispeech_sample / "alignments"), "has segments but no audio")




@requires_cuda
def test_featurize_tiny_hubert_on_cuda_in_length_batches(tiny, tiny_hubert, tmp_path):
    cpu, gpu = tmp_path / "cpu.npz", tmp_path / "gpu"
    base = ["featurize", tiny.audio_list, "--feature", "hubert", "--model", tiny_hubert, "--layer", 1, "-q"]
    assert run(*base, "--out", cpu, "--device", "cpu").exit_code == 0
    r = run(*base, "--out", gpu, "--device", "cuda", "--batch-seconds", 3)
    assert r.exit_code == 0, r.output
    ref = read_features(cpu)
    got, info, _ = read_all(gpu)
    assert list(got) == ref.utt_ids and info.layer == 1
    for utt, frames in ref.items():
        a, b = frames.astype(np.float32), got[utt].astype(np.float32)
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=0, atol=0.05 * np.abs(a).max())


def test_length_batches_keep_order_and_values(tiny, tiny_hubert, tmp_path):
    """The CUDA code path (windows of utterances sorted into padded length batches), run on CPU."""
    from spokenw2v.featurize import FeaturizeOptions, featurize_corpus

    tiny6 = make_tiny_speech(tmp_path / "six", n_utts=6, seed=3)
    opts = dict(feature="hubert", model=str(tiny_hubert), layer=2, dtype="float32")
    one = featurize_corpus(tiny6.audio_list, tmp_path / "one.npz", FeaturizeOptions(**opts, batch=False))
    featurize_corpus(tiny6.audio_list, tmp_path / "batched.npz",
                     FeaturizeOptions(**opts, batch=True, window=4, batch_seconds=8.0, workers=3))
    a, b = read_features(tmp_path / "one.npz"), read_features(tmp_path / "batched.npz")
    assert a.utt_ids == b.utt_ids == tiny6.utts and one.utterances == 6
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_allclose(b.values, a.values, rtol=0, atol=2e-5)
