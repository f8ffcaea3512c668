"""Vocal-tract-length normalisation of MFCCs: the warped filterbank, the unsupervised per-speaker
warp estimate on two synthetic "speakers" (one the other with every frequency raised 11 %),
and featurize --vtln (auto, a warps file, bad input)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF

from spokenw2v.errors import SpokenW2VError
from spokenw2v.features import MFCCConfig, MFCCFeaturizer, vtln_filterbank
from spokenw2v.io import read_audio_speakers, read_features, read_tsv
from spokenw2v.vtln import VTLNConfig, estimate_warps, read_warps, speakers_by_pattern

from helpers import assert_one_error_line, invoke

#: Three-formant "vowels" (Hz).
VOWELS = [(300, 2300, 3000), (700, 1200, 2600), (500, 1700, 2500), (350, 900, 2400), (600, 1900, 2800)]
RATE = 16000


def vowel_wave(rng: np.random.Generator, scale: float, n_vowels: int = 12) -> np.ndarray:
    """Vowels of 0.12 s (harmonics of 120 Hz x scale shaped by formant peaks x scale), 0.03 s gaps."""
    t = np.arange(int(0.12 * RATE)) / RATE
    pieces = [np.zeros(int(0.05 * RATE))]
    for _ in range(n_vowels):
        formants = np.array(VOWELS[int(rng.integers(len(VOWELS)))]) * scale
        f0 = 120.0 * scale
        wave = np.zeros_like(t)
        for h in range(1, int(7000 / f0)):
            f = h * f0
            gain = sum(np.exp(-0.5 * ((f - fm) / (80 * scale)) ** 2) for fm in formants)
            wave += gain * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        pieces += [0.1 * wave / np.abs(wave).max(), np.zeros(int(0.03 * RATE))]
    return np.concatenate(pieces).astype(np.float32)


def two_speakers(n_utts: int = 6, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    rng = np.random.default_rng(seed)
    waves, speakers = {}, {}
    for spk, scale in (("low", 1.0), ("high", 1 / 0.9)):
        for i in range(n_utts):
            utt = f"{spk}-{i}"
            waves[utt], speakers[utt] = vowel_wave(rng, scale), spk
    return waves, speakers


def test_filterbank_at_one_is_torchaudios_and_warps_move_filters_up_below_one():
    c = MFCCConfig()
    ref = AF.melscale_fbanks(c.n_fft // 2 + 1, c.f_min, 8000.0, c.n_mels, RATE)
    assert torch.allclose(vtln_filterbank(c, 1.0), ref, atol=1e-5)
    peak = lambda fb: fb.argmax(dim=0).float()  # the FFT bin of each filter's peak
    assert (peak(vtln_filterbank(c, 0.9)) >= peak(ref)).all() and (peak(vtln_filterbank(c, 0.9)) > peak(ref)).any()
    assert (peak(vtln_filterbank(c, 1.1)) <= peak(ref)).all()
    f = MFCCFeaturizer()
    w = np.random.default_rng(0).normal(size=8000).astype(np.float32) * 0.1
    plain = f([w])[0]
    f.set_warp(0.9)
    assert not np.allclose(f([w])[0], plain)
    f.set_warp(1.0)
    np.testing.assert_array_equal(f([w])[0], plain)


def test_estimate_finds_the_relative_warp_of_two_speakers():
    waves, speakers = two_speakers()
    est = estimate_warps(speakers, waves.__getitem__, config=VTLNConfig(k=10, iterations=6))
    # the "high" speaker's formants are 1/0.9 of the "low" one's: its factor is about 0.9 of the other's
    assert est.warps["high"] / est.warps["low"] == pytest.approx(0.9, abs=0.035), est.history
    assert est.used == {"high": 6, "low": 6}
    # the same speaker twice: no relative warp
    same = {u: "one" if i % 2 else "two" for i, u in enumerate(sorted(u for u in waves if u.startswith("low")))}
    est = estimate_warps(same, waves.__getitem__, config=VTLNConfig(k=10, iterations=3))
    assert est.warps["one"] == pytest.approx(est.warps["two"], abs=0.021)


def test_leave_one_out_matches_each_speaker_against_the_others():
    waves, speakers = two_speakers()
    est = estimate_warps(speakers, waves.__getitem__, config=VTLNConfig(k=10, iterations=6, leave_one_out=True))
    assert est.warps["high"] / est.warps["low"] == pytest.approx(0.9, abs=0.035), est.history
    # the "high" speaker through a channel (each MFCC dimension scaled and shifted): each
    # utterance's frames are normalised before they are matched, so the channel changes nothing
    high = {id(w) for u, w in waves.items() if u.startswith("high")}
    rng = np.random.default_rng(0)
    gain, offset = np.exp(1.5 * rng.normal(size=39)).astype(np.float32), 10 * rng.normal(size=39).astype(np.float32)

    class Channel(MFCCFeaturizer):
        def __call__(self, batch):
            return [x * gain + offset if id(w) in high else x for x, w in zip(super().__call__(batch), batch)]

    through = estimate_warps(speakers, waves.__getitem__, featurizer=Channel(),
                             config=VTLNConfig(k=10, iterations=6, leave_one_out=True))
    assert through.warps == est.warps, through.history
    one = {u: "one" for u in waves}
    with pytest.raises(SpokenW2VError, match="at least two speakers"):
        estimate_warps(one, waves.__getitem__, config=VTLNConfig(k=10, leave_one_out=True))


def test_speaker_patterns():
    assert speakers_by_pattern(["103-1240-0000", "19-198-0001"], r"^([^-]+)-") == {"103-1240-0000": "103",
                                                                                  "19-198-0001": "19"}
    assert speakers_by_pattern(["ab1", "cd2"], r"[a-z]+") == {"ab1": "ab", "cd2": "cd"}
    with pytest.raises(Exception, match="does not match utterance id 'x'"):
        speakers_by_pattern(["103-1", "x"], r"^(\d+)-")


def test_featurize_vtln_auto_file_and_errors(tmp_path: Path):
    waves, speakers = two_speakers(n_utts=3)
    (tmp_path / "audio").mkdir()
    rows = []
    for utt, w in waves.items():
        sf.write(str(tmp_path / "audio" / f"{utt}.wav"), w, RATE)
        rows.append(f"{utt}\taudio/{utt}.wav\t{speakers[utt]}\n")
    lst = tmp_path / "audio.tsv"
    lst.write_text("utt\tpath\tspeaker\n" + "".join(rows))
    assert read_audio_speakers(lst) == speakers
    r = invoke("featurize", lst, "--out", tmp_path / "f.npz", "--vtln", "auto", "--warps-out", tmp_path / "w.tsv")
    assert r.exit_code == 0, r.output
    warps = read_warps(tmp_path / "w.tsv")
    assert set(warps) == {"low", "high"} and warps["high"] < warps["low"]
    _, rows_ = read_tsv(tmp_path / "w.tsv", ["speaker", "warp", "utterances"])
    assert {row["utterances"] for _, row in rows_} == {"3"}
    # the warps file again gives the same features; plain MFCC differs
    r = invoke("featurize", lst, "--out", tmp_path / "g.npz", "--vtln", tmp_path / "w.tsv")
    assert r.exit_code == 0, r.output
    r = invoke("featurize", lst, "--out", tmp_path / "p.npz")
    assert r.exit_code == 0, r.output
    auto, again, plain = (read_features(tmp_path / n).values for n in ("f.npz", "g.npz", "p.npz"))
    np.testing.assert_array_equal(auto, again)
    assert not np.array_equal(auto, plain)
    # bad input: one line naming the file or option, nothing written
    (tmp_path / "bad.tsv").write_text("speaker\twarp\nlow\t1.0\n")
    assert_one_error_line(invoke("featurize", lst, "--out", tmp_path / "x.npz", "--vtln", tmp_path / "bad.tsv"),
                          str(tmp_path / "bad.tsv"), "'high'")
    (tmp_path / "bad.tsv").write_text("speaker\twarp\nlow\tfast\nhigh\t1\n")
    assert_one_error_line(invoke("featurize", lst, "--out", tmp_path / "x.npz", "--vtln", tmp_path / "bad.tsv"),
                          str(tmp_path / "bad.tsv"), "'fast'")
    assert_one_error_line(invoke("featurize", lst, "--out", tmp_path / "x.npz", "--warps-out", tmp_path / "y.tsv"),
                          "--vtln")
    assert_one_error_line(invoke("featurize", lst, "--out", tmp_path / "x.npz", "--vtln", "auto",
                                 "--speaker-pattern", r"^(\d+)"), "does not match")
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "y.tsv").exists()
    # leave-one-out: each speaker against the other's codebook, the same direction
    r = invoke("featurize", lst, "--out", tmp_path / "l.npz", "--vtln", "leave-one-out", "--warps-out",
               tmp_path / "l.tsv")
    assert r.exit_code == 0, r.output
    loo = read_warps(tmp_path / "l.tsv")
    assert loo["high"] < loo["low"]
