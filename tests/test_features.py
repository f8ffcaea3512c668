"""Feature extraction: frame timing, layer definition, batching, audio loading."""

import numpy as np
import pytest
import soundfile as sf
import torch

from helpers import noise_waves, save_tiny_model
from spokenw2v.audio import find_audio, load_audio, probe_audio, resampled_length
from spokenw2v.errors import SpokenW2VError
from spokenw2v.features import (FEATURE_TABLE, FeatureKind, MFCCFeaturizer, Normalize, SSLFeaturizer,
                                conv_geometry, conv_num_frames, make_featurizer)
from spokenw2v.frames import frame_time


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Tiny randomly initialised models saved with save_pretrained."""
    root = tmp_path_factory.mktemp("models")
    return {
        "hubert": save_tiny_model(root / "hubert", "hubert"),
        "wav2vec2": save_tiny_model(root / "wav2vec2", "wav2vec2"),
        "wavlm": save_tiny_model(root / "wavlm", "wavlm"),
        # pre-LN ("stable layer norm") front-end and encoder, as in the large models
        "wav2vec2-stable": save_tiny_model(root / "wav2vec2-stable", "wav2vec2", do_stable_layer_norm=True,
                                      feat_extract_norm="layer"),
    }


# --------------------------------------------------------------------------- frame timing


def test_conv_geometry_and_frame_counts_hand_checked():
    kernels, strides = (10, 3, 3, 3, 3, 2, 2), (5, 2, 2, 2, 2, 2, 2)
    assert conv_geometry(kernels, strides) == (320, 400)
    # floor((T - 400) / 320) + 1 for T >= 400
    for n, frames in [(399, 0), (400, 1), (719, 1), (720, 2), (16000, 49), (16080, 50), (32000, 99)]:
        assert conv_num_frames(n, kernels, strides) == frames, n


def test_mfcc_frames_and_timing():
    f = MFCCFeaturizer()
    assert f.dim == 39
    assert (f.info.frame_rate, f.info.frame_offset, f.info.frame_width) == (100.0, 0.0, 0.025)
    for n in (201, 1000, 16000, 16159, 16160):
        (out,) = f(noise_waves(n))
        assert out.shape == (1 + n // 160, 39) == (f.n_frames(n), 39)
    # a click at 0.5 s (sample 8000) has its energy peak in the frame centred on it: frame 50
    wave = np.zeros(16000, np.float32)
    wave[8000] = 1.0
    (out,) = f([wave])
    assert int(np.argmax(out[:, 0])) == 50
    assert frame_time(50, f.info) == pytest.approx(0.5)
    # deltas of a constant signal are zero
    (const,) = f([np.full(4000, 0.3, np.float32) + noise_waves(4000)[0] * 1e-3])
    assert np.abs(const[2:-2, 13:]).mean() < 0.1 * np.abs(const[2:-2, :13]).mean()


def test_ssl_frame_count_equals_model_output_and_timing(tiny_models):
    from transformers import HubertModel

    f = SSLFeaturizer(FeatureKind.HUBERT, tiny_models["hubert"], layer=1)
    assert (f.stride, f.receptive_field) == (320, 400)
    assert (f.info.frame_rate, f.info.frame_offset, f.info.frame_width) == (50.0, 0.0125, 0.025)
    assert frame_time(3, f.info) == pytest.approx(0.0725)  # samples [960, 1360) -> centre 1160 / 16000
    ref = HubertModel.from_pretrained(tiny_models["hubert"]).eval()
    for n in (400, 719, 720, 5000, 16000):
        with torch.no_grad():
            model_frames = ref(torch.from_numpy(noise_waves(n)[0])[None]).last_hidden_state.shape[1]
        assert f.n_frames(n) == model_frames == f(noise_waves(n))[0].shape[0] == (n - 400) // 320 + 1


# --------------------------------------------------------------------------- layer definition


def _by_hand(model, x, n_blocks, stable):
    """Run the model's pieces by hand: conv front-end, projection, positional conv, blocks."""
    feats = model.feature_extractor(x).transpose(1, 2)
    h = model.feature_projection(feats)
    h = h[0] if isinstance(h, tuple) else h
    h = h + model.encoder.pos_conv_embed(h)
    if not stable:
        h = model.encoder.layer_norm(h)
    for block in model.encoder.layers[:n_blocks]:
        h = block(h)
        h = h[0] if isinstance(h, tuple) else h
    return h[0].numpy()


@pytest.mark.parametrize("name, kind, cls_name, stable", [
    ("hubert", FeatureKind.HUBERT, "HubertModel", False),
    ("wav2vec2", FeatureKind.WAV2VEC2, "Wav2Vec2Model", False),
    ("wav2vec2-stable", FeatureKind.WAV2VEC2, "Wav2Vec2Model", True),
])
def test_layer_n_is_hidden_states_n_and_output_of_block_n(tiny_models, name, kind, cls_name, stable):
    import transformers

    ref = getattr(transformers, cls_name).from_pretrained(tiny_models[name]).eval()
    wave = noise_waves(7000)[0]
    x = torch.from_numpy(wave)[None]
    with torch.no_grad():
        hidden = ref(x, output_hidden_states=True).hidden_states
        assert len(hidden) == 4  # input of block 1 + outputs of the 3 blocks
        for n in range(4):
            ours = SSLFeaturizer(kind, tiny_models[name], layer=n, normalize=Normalize.OFF)([wave])[0]
            np.testing.assert_allclose(ours, hidden[n][0].numpy(), rtol=0, atol=1e-5)
            np.testing.assert_allclose(ours, _by_hand(ref, x, n, stable), rtol=0, atol=1e-5)
    # the layers differ from each other (the test could fail)
    assert np.abs(hidden[1] - hidden[2]).max() > 1e-2


def test_wavlm_truncated_run_equals_full_hidden_states(tiny_models):
    from transformers import WavLMModel

    ref = WavLMModel.from_pretrained(tiny_models["wavlm"]).eval()
    wave = noise_waves(6000)[0]
    with torch.no_grad():
        hidden = ref(torch.from_numpy(wave)[None], output_hidden_states=True).hidden_states
    for n in (0, 2, 3):
        f = SSLFeaturizer(FeatureKind.WAVLM, tiny_models["wavlm"], layer=n)
        assert len(f.model.encoder.layers) == max(n, 1)  # only the needed blocks run
        np.testing.assert_allclose(f([wave])[0], hidden[n][0].numpy(), rtol=0, atol=1e-5)


@pytest.mark.parametrize("name, kind", [("hubert", "hubert"), ("wav2vec2", "wav2vec2"), ("wavlm", "wavlm"),
                                        ("wav2vec2-stable", "wav2vec2")])
def test_padded_batch_equals_one_at_a_time(tiny_models, name, kind):
    f = make_featurizer(kind, tiny_models[name], layer=3)
    waves = noise_waves(16000, 9001, 400, 12345, seed=1)
    batch = f(waves)
    for w, b in zip(waves, batch):
        (single,) = f([w])
        assert b.shape == single.shape == (f.n_frames(len(w)), 32)
        np.testing.assert_allclose(b, single, rtol=0, atol=2e-5)


def test_model_errors(tiny_models, tmp_path):
    with pytest.raises(SpokenW2VError, match=r"is a wav2vec2 model, not hubert \(use --feature wav2vec2\)"):
        make_featurizer("hubert", tiny_models["wav2vec2"])
    with pytest.raises(SpokenW2VError, match=r"--layer 4 is out of range \(the model has layers 0..3\)"):
        make_featurizer("hubert", tiny_models["hubert"], layer=4)
    with pytest.raises(SpokenW2VError, match="nothing-here: no such model directory"):
        make_featurizer("hubert", tmp_path / "nothing-here")
    with pytest.raises(SpokenW2VError, match="--layer does not apply to --feature mfcc"):
        make_featurizer("mfcc", layer=3)
    assert FEATURE_TABLE[FeatureKind.HUBERT].default_layer == 6


def test_normalisation_policy(tiny_models, tmp_path):
    from transformers import Wav2Vec2FeatureExtractor

    assert SSLFeaturizer("hubert", tiny_models["hubert"], 1).normalize is False  # group norm, no preprocessor
    assert SSLFeaturizer("wav2vec2", tiny_models["wav2vec2-stable"], 1).normalize is True  # layer norm front-end
    d = save_tiny_model(tmp_path / "with-preprocessor", "hubert")
    Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(d)
    f = SSLFeaturizer("hubert", d, 1)
    assert f.normalize is True
    wave = noise_waves(8000)[0]
    scaled = f([wave * 7 + 0.2])[0]
    np.testing.assert_allclose(scaled, f([wave])[0], atol=1e-4)  # gain and offset are normalised away
    assert SSLFeaturizer("hubert", d, 1, normalize=Normalize.OFF).normalize is False


# --------------------------------------------------------------------------- audio


def test_audio_loading_downmix_resample_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    left = (0.2 * rng.standard_normal(16000)).astype(np.float32)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(tmp_path / "s.wav"), left / 2, atol=1e-7)
    t = np.arange(44100) / 44100
    sf.write(tmp_path / "r.flac", 0.5 * np.sin(2 * np.pi * 440 * t), 44100)
    wave = load_audio(tmp_path / "r.flac")
    assert len(wave) == resampled_length(44100, 44100) == 16000
    spectrum = np.abs(np.fft.rfft(wave))
    assert int(np.argmax(spectrum)) == 440  # 1 s at 16 kHz: bin k = k Hz
    info = probe_audio("r", tmp_path / "r.flac")
    assert (info.sample_rate, info.frames, info.channels, info.samples_16k) == (44100, 44100, 1, 16000)

    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    with pytest.raises(SpokenW2VError, match=r"bad.wav: unreadable audio"):
        load_audio(tmp_path / "bad.wav")
    with pytest.raises(SpokenW2VError, match=r"bad.wav: unreadable audio \(utterance b\)"):
        probe_audio("b", tmp_path / "bad.wav")
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(SpokenW2VError, match=r"empty.wav: zero-length audio"):
        load_audio(tmp_path / "empty.wav")
    with pytest.raises(SpokenW2VError, match=r"empty.wav: zero-length audio \(utterance e\)"):
        probe_audio("e", tmp_path / "empty.wav")
    with pytest.raises(SpokenW2VError, match=r"missing.wav: no such audio file \(utterance m\)"):
        probe_audio("m", tmp_path / "missing.wav")


def test_find_audio_tree_list_and_duplicates(tmp_path):
    for rel in ("84/121123/84-121123-0001.flac", "84/121123/84-121123-0000.flac", "174/50561/174-50561-0000.wav"):
        p = tmp_path / "tree" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, np.zeros(800, np.float32), 16000)
    (tmp_path / "tree" / "84" / "121123" / "84-121123.trans.txt").write_text("ignored")
    found = find_audio(tmp_path / "tree")
    assert list(found) == ["174-50561-0000", "84-121123-0000", "84-121123-0001"]
    (tmp_path / "list.tsv").write_text("utt\tpath\nb\ttree/84/121123/84-121123-0000.flac\na\t/abs/x.wav\n")
    assert find_audio(tmp_path / "list.tsv") == {"a": tmp_path / "/abs/x.wav",
                                                 "b": tmp_path / "tree/84/121123/84-121123-0000.flac"}
    sf.write(tmp_path / "tree" / "84-121123-0000.ogg", np.zeros(800, np.float32), 16000)
    with pytest.raises(SpokenW2VError, match=r"utterance id 84-121123-0000 is also used by"):
        find_audio(tmp_path / "tree")
    (tmp_path / "none").mkdir()
    with pytest.raises(SpokenW2VError, match=r"none: no audio files"):
        find_audio(tmp_path / "none")


# --------------------------------------------------------------------------- devices

from helpers import cuda_available, requires_cuda  # noqa: E402


@requires_cuda
def test_cuda_fp16_batches_match_cpu(tiny_models):
    waves = noise_waves(16000, 9001, 400, 12345, seed=2)
    cpu = make_featurizer("hubert", tiny_models["hubert"], layer=3, device="cpu")
    gpu = make_featurizer("hubert", tiny_models["hubert"], layer=3, device="cuda")
    assert gpu.half
    for a, b in zip(cpu(waves), gpu(waves)):
        assert a.shape == b.shape and b.dtype == np.float32
        np.testing.assert_allclose(b, a, rtol=0, atol=0.05 * np.abs(a).max())


@pytest.mark.skipif(cuda_available(), reason="checks the error on machines without a GPU")
def test_cuda_without_gpu_is_a_clean_error(tmp_path):
    from typer.testing import CliRunner

    from spokenw2v.cli import app

    (tmp_path / "audio").mkdir()
    sf.write(tmp_path / "audio" / "a.wav", np.zeros(1600, np.float32), 16000)
    r = CliRunner().invoke(app, ["featurize", str(tmp_path / "audio"), "--out", str(tmp_path / "f.npz"),
                                 "--device", "cuda"])
    assert r.exit_code == 1 and "Error: --device cuda was asked for, but no CUDA GPU" in r.output
