"""CUDA code paths checked on the CPU (autocast emulated on the CPU, CUDA calls faked), plus
checks that need a GPU (``requires_cuda``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import make_tiny_speech, noise_waves, requires_cuda, save_tiny_model, tiny_cfg, topic_corpus
from spokenw2v.checkpoints import set_rng_states
from spokenw2v.data import char_stream
from spokenw2v.distributed import Distributed
from spokenw2v.config import TrainConfig
from spokenw2v.train import NeuralTrainer


# --------------------------------------------------------------------------- train


@pytest.mark.parametrize("kind", ["e2e", "two-stage"])
def test_bf16_autocast_path_runs_and_learns(kind, tmp_path):
    """The bf16 autocast code of the training loop (CUDA only in real runs), emulated with CPU
    autocast: no dtype mismatch anywhere (GRUs, decoder state, SGNS loss) and the loss falls."""
    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=3, kind=kind, **({"ae_epochs": 2} if kind == "two-stage" else {}))
    trainer = NeuralTrainer(stream, cfg, torch.device("cpu"), tmp_path)
    trainer.amp = True  # the CPU autocast then runs in bfloat16
    result = trainer.run()
    losses = [r["loss"] for r in result.rows[1:]]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert all(np.isfinite(result.extra["ae_losses"]))
    assert result.vectors.vectors.dtype == np.float32 and np.all(np.isfinite(result.vectors.vectors))


def test_amp_only_where_the_gpu_has_bf16(tmp_path, monkeypatch):
    """Emulated bf16 (GPUs before Ampere) would be slow: the trainer asks without emulation."""
    stream = char_stream(topic_corpus(20))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    assert not NeuralTrainer(stream, tiny_cfg(stream), torch.device("cuda"), tmp_path).amp
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert NeuralTrainer(stream, tiny_cfg(stream), torch.device("cuda"), tmp_path).amp
    assert not NeuralTrainer(stream, tiny_cfg(stream), torch.device("cpu"), tmp_path).amp


def _checkpoint_with_cuda_rng(tmp_path, n_states: int):
    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=1)
    first = NeuralTrainer(stream, cfg, torch.device("cpu"), tmp_path).run()
    ck = torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)
    assert "cuda" not in ck["rng"]
    ck["rng"]["cuda"] = [torch.full((16,), i, dtype=torch.uint8) for i in range(n_states)]  # as a GPU run saves
    torch.save(ck, tmp_path / "last.pt")
    return stream, cfg, first


def test_checkpoint_with_cuda_rng_state_resumes_on_cpu(tmp_path):
    stream, cfg, _ = _checkpoint_with_cuda_rng(tmp_path, 2)
    plain = NeuralTrainer(stream, TrainConfig.from_dict({**cfg.to_dict(), "epochs": 2}), torch.device("cpu"),
                          tmp_path / "plain").run()
    more = NeuralTrainer(stream, TrainConfig.from_dict({**cfg.to_dict(), "epochs": 2}), torch.device("cpu"),
                         tmp_path, resume=True).run()
    assert [r["epoch"] for r in more.rows] == [0, 1, 2]
    np.testing.assert_allclose(more.vectors.vectors, plain.vectors.vectors, atol=1e-6)


def test_cuda_rng_states_restored_for_the_gpus_present(tmp_path, monkeypatch):
    """A checkpoint of a 2-GPU machine resumed on a 1-GPU one sets GPU 0 only (no IndexError)."""
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, device="cuda": calls.append((state, device)))
    state = {"python": [3, list(range(625)), None], "numpy": ["MT19937", [1] * 624, 0, 0, 0.0],
             "torch": torch.get_rng_state(),
             "cuda": [torch.full((16,), 7, dtype=torch.uint8), torch.full((16,), 9, dtype=torch.uint8)]}
    import random

    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        set_rng_states(state)
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
    assert len(calls) == 1 and calls[0][1] == 0 and int(calls[0][0][0]) == 7
    assert calls[0][0].device.type == "cpu"


def test_distributed_on_cuda_uses_nccl_the_local_gpu_and_cuda_tensors(monkeypatch):
    """NCCL reduces CUDA tensors only: the loss mean must not use a CPU tensor (checked with
    the CUDA calls faked)."""
    import torch.distributed as tdist

    seen = {}
    monkeypatch.setattr(tdist, "is_initialized", lambda: False)
    monkeypatch.setattr(tdist, "init_process_group", lambda backend, **kw: seen.update(backend=backend, **kw))
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: seen.update(set_device=torch.device(device)))
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)
    d = Distributed(rank=1, world=2, local_rank=3, enabled=True)
    d.init(torch.device("cuda"))
    assert seen["backend"] == "nccl" and (seen["rank"], seen["world_size"]) == (1, 2)
    assert seen["set_device"] == torch.device("cuda", 3) == d.device

    real_tensor = torch.tensor

    def tensor(data, *, dtype=None, device=None):
        seen["tensor_device"] = torch.device(device) if device is not None else None
        return real_tensor(data, dtype=dtype)

    def all_reduce(t):
        t.mul_(2)  # a 2-process sum of equal values

    monkeypatch.setattr(torch, "tensor", tensor)
    monkeypatch.setattr(tdist, "all_reduce", all_reduce)
    assert d.mean(0.25) == pytest.approx(0.25)
    assert seen["tensor_device"] == torch.device("cuda", 3)

    cpu = Distributed(rank=0, world=2, local_rank=0, enabled=True)
    cpu.init(torch.device("cpu"))
    assert seen["backend"] == "gloo"
    cpu.mean(1.0)
    assert seen["tensor_device"] == torch.device("cpu")


# --------------------------------------------------------------------------- features


@pytest.fixture(scope="module")
def tiny_ssl(tmp_path_factory):
    root = tmp_path_factory.mktemp("ssl")
    return {"hubert": save_tiny_model(root / "hubert", "hubert"),
            "stable": save_tiny_model(root / "stable", "wav2vec2", do_stable_layer_norm=True,
                                 feat_extract_norm="layer")}


@pytest.mark.parametrize("name,kind", [("hubert", "hubert"), ("stable", "wav2vec2")])
def test_half_precision_batches_emulated_on_cpu(tiny_ssl, name, kind, monkeypatch):
    """The CUDA featurizer path (padded length batch, attention mask, masked group norm, fp16
    autocast), with the autocast run on the CPU: float32 frames close to one-at-a-time float32."""
    from spokenw2v.features import make_featurizer

    f = make_featurizer(kind, tiny_ssl[name], layer=3, device="cpu")
    waves = noise_waves(16000, 9001, 400, 12345, seed=2)
    ref = [f([w])[0] for w in waves]
    real = torch.autocast
    monkeypatch.setattr(torch, "autocast", lambda device_type, dtype=None, enabled=True:
                        real("cpu", dtype=dtype, enabled=enabled))
    f.half = True
    for batch in (waves, waves[:1]):  # padded, and one utterance (plain group norm)
        out = f(batch)
        for a, b in zip(ref, out):
            assert b.dtype == np.float32 and a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=0, atol=0.02 * np.abs(a).max())


# --------------------------------------------------------------------------- on a GPU


@requires_cuda
def test_nccl_world_of_one_trains_and_resumes_on_cpu(tmp_path, monkeypatch):
    """NCCL process group (world size 1) on the GPU; its checkpoint then resumes on the CPU."""
    import torch.distributed as tdist

    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=1)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(31500 + np.random.default_rng().integers(1000)))
    try:
        gpu = NeuralTrainer(stream, cfg, torch.device("cuda", 0), tmp_path,
                            dist=Distributed(0, 1, 0, True)).run()
    finally:
        if tdist.is_initialized():
            tdist.destroy_process_group()
    assert np.isfinite(gpu.rows[-1]["loss"])
    ck = torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)
    assert "cuda" in ck["rng"]
    more = NeuralTrainer(stream, TrainConfig.from_dict({**cfg.to_dict(), "epochs": 2}), torch.device("cpu"),
                         tmp_path, resume=True).run()
    assert [r["epoch"] for r in more.rows] == [0, 1, 2] and np.isfinite(more.rows[-1]["loss"])


def test_non_finite_model_output_names_the_half_precision_cause(tmp_path, monkeypatch):
    """fp16 autocast (CUDA) can overflow inside the model; --dtype float32 would not help then."""
    import spokenw2v.featurize as F

    tiny = make_tiny_speech(tmp_path, n_utts=2, seed=1)
    real = F.make_featurizer

    class Overflowing:  # MFCC standing in for a model run in float16 that overflows
        def __init__(self, inner):
            self.inner, self.info, self.dim, self.min_samples = inner, inner.info, inner.dim, inner.min_samples
            self.half = True

        def n_frames(self, n_samples):
            return self.inner.n_frames(n_samples)

        def __call__(self, waves):
            return [np.full_like(x, np.inf) for x in self.inner(waves)]

    def overflowing(*args, **kw):
        return Overflowing(real(*args, **kw))

    monkeypatch.setattr(F, "make_featurizer", overflowing)
    with pytest.raises(F.SpokenW2VError, match=r"the model computed non-finite features for utterance utt\d+ "
                                               r"\(float16 overflow on the GPU\? try --device cpu\)"):
        F.featurize_corpus(tiny.audio_list, tmp_path / "f.npz", F.FeaturizeOptions(dtype="float32"))
    assert not (tmp_path / "f.npz").exists()


def test_float16_checkpoint_loads_in_float32(tmp_path):
    """A checkpoint saved in float16 runs on the CPU and equals its float32 twin (half precision is
    the autocast's job on CUDA, not the weights')."""
    from transformers import HubertConfig, HubertModel

    from spokenw2v.features import make_featurizer

    cfg = HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    torch.manual_seed(0)
    model = HubertModel(cfg).half()
    model.save_pretrained(tmp_path / "half")
    model.float().save_pretrained(tmp_path / "float")
    half = make_featurizer("hubert", tmp_path / "half", layer=1, device="cpu")
    assert next(half.model.parameters()).dtype == torch.float32
    (wave,) = noise_waves(16000, seed=4)
    np.testing.assert_allclose(half([wave])[0], make_featurizer("hubert", tmp_path / "float", layer=1,
                                                                device="cpu")([wave])[0], rtol=0, atol=1e-5)


def test_resolve_device_checks_the_gpu_number(monkeypatch):
    from spokenw2v.devices import resolve_device
    from spokenw2v.errors import SpokenW2VError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda") == torch.device("cuda")
    assert resolve_device("CUDA:1") == torch.device("cuda", 1)
    with pytest.raises(SpokenW2VError, match=r"--device cuda:2: this machine has 2 CUDA GPU\(s\), numbered from 0"):
        resolve_device("cuda:2")
    for bad in ("cudax", "cuda:a"):
        with pytest.raises(SpokenW2VError, match=r"unknown device"):
            resolve_device(bad)
