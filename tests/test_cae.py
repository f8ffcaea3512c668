"""The correspondence-autoencoder encoder (spokenw2v.cae, ``spokenw2v cae``): pair mining, DTW,
training on a two-speaker toy where one speaker is a fixed linear warp of the other, saving and
reusing the encoder, and the command's errors."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.cae import (CAEConfig, Target, dtw_path, encode_features, load_encoder, mutual_pairs, save_encoder,
                           token_frames, train_encoder)
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import FrameInfo, Ragged, Segments, iter_features, write_features, write_segments

from helpers import assert_one_error_line

INFO = FrameInfo(frame_rate=100.0, frame_offset=0.005, frame_width=0.025, feature="mfcc")


def toy(seed=0, n_words=6, reps=4, dim=6, speakers=("A", "B")):
    """Utterances of every word once, ``reps`` per speaker; a word is three of eight "phones"
    (fixed frames plus noise, 4-7 frames each); speaker B's frames are A's under one fixed linear
    map (a scaled rotation) plus a shift.  Returns (features, segments, token speakers)."""
    rng = np.random.default_rng(seed)
    phones = rng.normal(size=(8, dim)) * 2
    words = [rng.choice(8, size=3, replace=False) for _ in range(n_words)]
    warp = np.linalg.qr(rng.normal(size=(dim, dim)))[0] * 1.5
    shift = rng.normal(size=dim) * 3
    utts, arrays, durs, su, ss, se, sw, spk = [], [], [], [], [], [], [], []
    for s in speakers:
        for r in range(reps):
            u = f"{s}-{r}"
            frames, t = [], 0
            for w in rng.permutation(n_words):
                t0 = t
                for p in words[w]:
                    k = int(rng.integers(4, 8))
                    frames.append(phones[p] + 0.3 * rng.normal(size=(k, dim)))
                    t += k
                su.append(u), ss.append(t0 / 100), se.append(t / 100), sw.append(f"w{w}"), spk.append(s)
            x = np.concatenate(frames)
            if s == "B":
                x = x @ warp + shift
            utts.append(u), arrays.append(x.astype(np.float32)), durs.append(len(x) / 100)
    return (Ragged.from_list(utts, arrays, durs, INFO, dtype=np.float32),
            Segments(su, np.array(ss), np.array(se), sw), spk)


def planted(seg, spk):
    w, s = np.asarray(seg.word, dtype=object), np.asarray(spk)
    return np.array([(i, j) for i in range(len(w)) for j in range(i + 1, len(w)) if w[i] == w[j] and s[i] != s[j]])


def test_dtw_path_by_hand():
    a = np.array([[0.0], [1.0], [2.0]])
    b = np.array([[0.0], [0.0], [1.0], [2.0]])
    ia, ib = dtw_path(a, b)
    assert list(zip(ia.tolist(), ib.tolist())) == [(0, 0), (0, 1), (1, 2), (2, 3)]
    ia, ib = dtw_path(a[:1], b)
    assert ia.tolist() == [0, 0, 0, 0] and ib.tolist() == [0, 1, 2, 3]


def test_mutual_pairs_find_the_planted_pairs():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 16))
    b = a[::-1] + 0.05 * rng.normal(size=(20, 16))  # B's token 19 - i is A's token i
    distractors = rng.normal(size=(5, 16))  # B's extra tokens, near nothing
    emb = np.concatenate([a, b, distractors])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    spk = ["A"] * 20 + ["B"] * 25
    pairs = mutual_pairs(emb, spk, max_distance=0.1)
    assert sorted(map(tuple, pairs.tolist())) == [(i, 20 + 19 - i) for i in range(20)]
    # a third speaker who says A's tokens again pairs with both; one speaker alone pairs with nobody
    three = mutual_pairs(np.concatenate([emb, emb[:20]]), spk + ["C"] * 20, max_distance=0.1)
    assert len(three) == 60
    assert len(mutual_pairs(emb, ["A"] * 45, max_distance=2.0)) == 0
    assert len(mutual_pairs(emb, spk, max_distance=0.0)) == 0  # the threshold holds


def test_training_brings_two_speakers_aligned_frames_together():
    feats, seg, spk = toy()
    tokens, info = token_frames([feats], seg)
    pairs = planted(seg, spk)
    done = train_encoder(tokens, pairs, info, CAEConfig(epochs=10, pretrain_epochs=2, target=Target.MEAN))
    assert done.pairs == len(pairs) and done.frame_pairs > 2 * len(pairs)
    assert done.loss[-1] < 0.5 * done.loss[0]
    assert done.aligned_distance_after < 0.6 * done.aligned_distance_before
    # the partner target swaps the voices, so the voice stays in the features: no such gain
    swap = train_encoder(tokens, pairs, info, CAEConfig(epochs=10, pretrain_epochs=2, target=Target.PARTNER))
    assert swap.aligned_distance_after > 0.9 * swap.aligned_distance_before


def test_encoder_round_trip_and_reuse_on_new_features(tmp_path):
    feats, seg, spk = toy()
    tokens, info = token_frames([feats], seg)
    enc = train_encoder(tokens, planted(seg, spk), info, CAEConfig(epochs=1, pretrain_epochs=1, hidden=8,
                                                                    layers=2, feature_layer=1)).encoder
    save_encoder(tmp_path / "m.pt", enc)
    back = load_encoder(tmp_path / "m.pt")
    assert back.config == enc.config and back.fingerprint() == enc.fingerprint()
    new, _, _ = toy(seed=1, speakers=("C",))  # other audio, other "speaker"
    one = next(encode_features(enc, [new]))
    two = next(encode_features(back, [new]))
    assert one.values.shape == (len(new.values), 8) and np.array_equal(one.values, two.values)
    assert one.utt_ids == new.utt_ids and one.info.feature == "cae" and one.info.frame_rate == 100.0
    other = Ragged.from_list(["x"], [np.zeros((5, 7), np.float32)], [0.05], INFO, dtype=np.float32)
    with pytest.raises(SpokenW2VError, match="7 dims, the encoder reads 6"):
        next(encode_features(enc, [other], source="x.npz"))
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(SpokenW2VError, match="bad.pt: not a readable encoder"):
        load_encoder(tmp_path / "bad.pt")


def _cli_files(tmp_path):
    feats, seg, spk = toy()
    write_features(tmp_path / "f.npz", feats)
    write_segments(tmp_path / "s.tsv", seg)
    new, _, _ = toy(seed=1, speakers=("C",))
    write_features(tmp_path / "new.npz", new)
    return ["cae", str(tmp_path / "f.npz")]


@pytest.mark.parametrize("field, message", [
    (dict(max_distance=2.5), r"^--max-distance must be a cosine distance in \[0, 2\], found 2.5$"),
    (dict(hidden=0), "^--hidden must be at least 1, found 0$"),
    (dict(batch=0), "^CAEConfig.batch must be at least 1, found 0$"),
    (dict(layers=2, feature_layer=3), r"^--feature-layer must be in \[0, --layers = 2\] \(0: the output\), found 3$"),
    (dict(epochs=-1), "^--epochs must be at least 0, found -1$"),
    (dict(lr=0.0), "^CAEConfig.lr must be above 0, found 0.0$"),
    (dict(target="both"), "^--target must be partner or mean, found 'both'$"),
])
def test_config_checks_itself(field, message):
    """A library caller's bad value is the project's error naming the option (or the field no
    option sets), never a ValueError that would escape the command line as a traceback."""
    with pytest.raises(SpokenW2VError, match=message):
        CAEConfig(**field)


def test_cae_command_trains_saves_and_applies(tmp_path):
    base = _cli_files(tmp_path)
    r = CliRunner().invoke(app, [*base, "--segments", str(tmp_path / "s.tsv"), "--speaker-pattern", "^([A-Z])-",
                                 "--model", str(tmp_path / "m.pt"), "--out", str(tmp_path / "o.npz"),
                                 "--max-distance", "2", "--epochs", "2", "--pretrain-epochs", "1", "--speaker-norm"])
    assert r.exit_code == 0, r.output
    assert "word pairs" in r.output and (tmp_path / "m.pt").exists()
    out = next(iter_features(tmp_path / "o.npz"))
    assert out.values.shape[1] == 6 and abs(float(out.values.mean())) < 1e-3  # normalised per speaker
    apply = ["cae", str(tmp_path / "new.npz"), "--use-model", str(tmp_path / "m.pt"), "--out", str(tmp_path / "new-o.npz")]
    # trained on input normalised per speaker, the encoder reads new audio normalised so too
    assert_one_error_line(CliRunner().invoke(app, apply), "normalised per speaker", "--speaker-norm")
    r = CliRunner().invoke(app, [*apply, "--speaker-pattern", "^([A-Z])-", "--speaker-norm"])
    assert r.exit_code == 0, r.output
    assert len(next(iter_features(tmp_path / "new-o.npz")).utt_ids) == 4
    # applied to its own training audio, it gives what training wrote
    r = CliRunner().invoke(app, [*base, "--use-model", str(tmp_path / "m.pt"), "--out", str(tmp_path / "again.npz"),
                                 "--speaker-pattern", "^([A-Z])-", "--speaker-norm"])
    assert r.exit_code == 0, r.output
    assert np.array_equal(next(iter_features(tmp_path / "again.npz")).values, out.values)


def test_speaker_norm_finds_more_pairs_through_a_channel(tmp_path):
    """Speaker C says A's words through a channel (each dimension scaled and shifted): mined on
    each speaker's normalised frames, more tokens of one word find each other across the two."""
    feats, seg, spk = toy(seed=0, speakers=("A", "C"))
    rng = np.random.default_rng(10)
    gain, offset = np.exp(rng.normal(size=6)), rng.normal(size=6) * 3
    arrays = [(np.asarray(f) * gain + offset).astype(np.float32) if u.startswith("C") else np.asarray(f)
              for u, f in feats.items()]
    write_features(tmp_path / "f.npz", Ragged.from_list(feats.utt_ids, arrays, feats.durations, INFO, dtype=np.float32))
    write_segments(tmp_path / "s.tsv", seg)
    found = {}
    for norm in ([], ["--speaker-norm"]):
        r = CliRunner().invoke(app, ["cae", str(tmp_path / "f.npz"), "--segments", str(tmp_path / "s.tsv"),
                                     "--speaker-pattern", "^([A-Z])-", "--max-distance", "1", "--epochs", "1",
                                     "--pretrain-epochs", "1", "--model", str(tmp_path / f"m{len(norm)}.pt"),
                                     "--out", str(tmp_path / f"o{len(norm)}.npz"), *norm])
        assert r.exit_code == 0, r.output
        found[bool(norm)] = int(r.output.split(" word pairs")[0].split()[-1].replace(",", ""))
    assert found[True] >= 2 * max(found[False], 1), found


def test_cae_command_errors(tmp_path):
    base = _cli_files(tmp_path)
    out = ["--out", str(tmp_path / "o.npz")]
    segs = ["--segments", str(tmp_path / "s.tsv")]
    assert_one_error_line(CliRunner().invoke(app, [*base, *out]), "--model", "--use-model")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, "--model", str(tmp_path / "m.pt")]), "--segments")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, *segs, "--model", str(tmp_path / "m.pt"),
                                                   "--layers", "2", "--feature-layer", "3"]),
                          "--feature-layer must be in [0, --layers = 2] (0: the output), found 3")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, *segs, "--model", str(tmp_path / "m.pt"),
                                                   "--max-distance", "0"]), "no word pairs")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, *segs, "--model", str(tmp_path / "m.pt"),
                                                   "--speaker-norm"]), "--speaker-norm")
    (tmp_path / "bad.pt").write_bytes(b"x")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, "--use-model", str(tmp_path / "bad.pt")]), "bad.pt")
    assert_one_error_line(CliRunner().invoke(app, [*base, *out, "--use-model", str(tmp_path / "bad.pt"),
                                                   "--epochs", "3"]), "--epochs")
    assert not (tmp_path / "o.npz").exists() and not (tmp_path / "m.pt").exists()
