"""Training: the SGNS machinery, exact resume, the gensim kinds and the ``train`` command."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import requires_cuda, tiny_cfg, topic_corpus
from spokenw2v import io
from spokenw2v.baseline import TextConfig, train_oracle, train_text
from spokenw2v.data import (EpochBatches, NoiseSampler, TokenBatch, char_stream, plan_batch, span_batch,
                            subsample_mask, type_token_choice, unit_stream)
from spokenw2v.distributed import Distributed
from spokenw2v.errors import SpokenW2VError
from spokenw2v.config import TrainConfig
from spokenw2v.models import PadInvariantBiGRU, SkipGram, build_skipgram, sgns_loss
from spokenw2v.train import Hooks, NeuralTrainer


def unit_tokens(seed: int = 0):
    """Speech-like tokens: every word type has a few unit-sequence variants."""
    rng = np.random.default_rng(seed)
    sentences = topic_corpus(40, seed)
    base = {w: rng.integers(0, 12, size=rng.integers(2, 6)) for s in sentences for w in s}
    seqs, words, utts = [], [], []
    for u, s in enumerate(sentences):
        for w in s:
            seq = base[w].copy()
            if rng.random() < 0.5:
                seq = np.concatenate([seq, rng.integers(0, 12, size=1)])
            seqs.append(seq)
            words.append(w)
            utts.append(f"u{u}")
    return seqs, words, utts


# --------------------------------------------------------------------------- encoders and loss


@pytest.mark.parametrize("layers", [1, 2])
def test_padding_does_not_change_the_encoding(layers):
    torch.manual_seed(0)
    gru = PadInvariantBiGRU(4, 5, layers)
    seqs = [torch.randn(n, 4) for n in (1, 3, 7)]
    alone = torch.cat([gru(s[None], torch.tensor([len(s)])) for s in seqs])
    padded = torch.zeros(3, 9, 4) + 100.0  # large pad values would leak into any result that read them
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    together = gru(padded, torch.tensor([1, 3, 7]))
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)
    # the backward half is the backward GRU's final state over the reversed sequence
    ref = torch.nn.GRU(4, 5, batch_first=True, bidirectional=True, num_layers=layers)
    if layers == 1:
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{name}_l0").copy_(getattr(gru.forward_layers[0], f"{name}_l0"))
                getattr(ref, f"{name}_l0_reverse").copy_(getattr(gru.backward_layers[0], f"{name}_l0"))
        _, h = ref(seqs[2][None])
        torch.testing.assert_close(alone[2], torch.cat([h[0, 0], h[1, 0]]), atol=1e-5, rtol=1e-5)


def naive_loss(model: SkipGram, stream, tb: TokenBatch) -> torch.Tensor:
    """The reference design: encode every slot on its own (1 target, 2w contexts, K negatives)."""

    def enc(encoder, token):
        s = int(stream.seq_ids[token])
        seq = torch.from_numpy(stream.seq_values[stream.seq_offsets[s]: stream.seq_offsets[s + 1]])
        return encoder.encode(seq[None], torch.tensor([len(seq)]))[0]

    total = 0.0
    for i, centre in enumerate(tb.centres):
        t = enc(model.target, centre)
        for j, ctx in enumerate(tb.contexts[i]):
            if tb.mask[i, j]:
                total = total - torch.nn.functional.logsigmoid(enc(model.context, ctx) @ t)
        for neg in tb.negatives[i]:
            total = total - torch.nn.functional.logsigmoid(-(enc(model.context, neg) @ t))
    return total / len(tb.centres)


@pytest.mark.parametrize("sampling", ["pool", "slot"])
def test_distinct_sequence_batching_matches_per_slot_loss_and_gradients(sampling):
    seqs, words, utts = unit_tokens()
    stream = unit_stream(seqs, words, utts, 12)
    assert stream.n_sequences < len(stream)  # there is something to deduplicate
    cfg = tiny_cfg(stream, negative_sampling=sampling, pool_size=16, length_buckets=3)
    sampler = NoiseSampler(stream.word_ids, len(stream.words), 0.75)
    kept = np.arange(len(stream))
    tb = span_batch(kept, stream.utt_index, 20, 44, cfg, sampler, np.random.default_rng(1))
    torch.manual_seed(0)
    model = build_skipgram(cfg)
    fast = model(plan_batch(stream, tb, cfg.length_buckets))
    fast.backward()
    fast_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    slow = naive_loss(model, stream, tb)
    slow.backward()
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    for n, p in model.named_parameters():
        torch.testing.assert_close(fast_grads[n], p.grad, atol=1e-5, rtol=1e-4, msg=n)


def test_sgns_loss_by_hand():
    t = torch.tensor([[1.0, 0.0]])
    c = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    loss = sgns_loss(t, c, torch.tensor([0]), torch.tensor([[0, 1]]), torch.tensor([[True, False]]),
                     torch.tensor([[1, 0]]))
    expected = -np.log(1 / (1 + np.exp(-2))) - np.log(1 / (1 + np.exp(0))) - np.log(1 / (1 + np.exp(2)))
    assert float(loss) == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- data


def test_windows_stay_inside_utterances_and_spans_cover_the_stream():
    stream = char_stream([["a", "b", "c"], ["d", "e"]])
    cfg = TrainConfig(vocab_size=stream.vocab_size, window=2, negatives=3, batch_tokens=5, pool_size=4,
                      subsample=0).resolved()
    sampler = NoiseSampler(stream.word_ids, len(stream.words), 1.0)
    tb = span_batch(np.arange(5), stream.utt_index, 0, 5, cfg, sampler, np.random.default_rng(0))
    words = [stream.words[i] for i in stream.word_ids]
    got = {words[c]: sorted(words[x] for x, m in zip(tb.contexts[i], tb.mask[i]) if m)
           for i, c in enumerate(tb.centres)}
    assert got == {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"], "d": ["e"], "e": ["d"]}
    assert tb.negatives.shape == (5, 3) and np.isin(tb.negatives, tb.pool).all()
    batches = EpochBatches(stream, cfg, 1, sampler)
    assert sorted(int(c) for b in batches.token_batches() for c in b.centres) == [0, 1, 2, 3, 4]


def test_subsampling_and_noise_distribution():
    counts = np.array([20000, 10])
    word_ids = np.repeat([0, 1], counts)
    keep = subsample_mask(counts, word_ids, 1e-2, np.random.default_rng(0))
    f = 20000 / 20010
    assert keep[20000:].all()  # rare words are always kept
    assert keep[:20000].mean() == pytest.approx((np.sqrt(f / 1e-2) + 1) * 1e-2 / f, abs=0.01)
    s = NoiseSampler(word_ids, 2, 0.75).sample(50000, np.random.default_rng(0))
    share = (s >= 20000).mean()
    assert share == pytest.approx(10**0.75 / (10**0.75 + 20000**0.75), abs=0.002)
    assert set(word_ids[s].tolist()) == {0, 1}
    uniform = NoiseSampler(word_ids, 2, 1.0).sample(50000, np.random.default_rng(0))
    assert (uniform >= 20000).mean() == pytest.approx(10 / 20010, abs=0.001)


def test_type_token_choice_caps_tokens_per_type():
    stream = char_stream([["a"] * 10 + ["b"] * 2])
    tokens, types = type_token_choice(stream, 3, seed=0)
    assert np.bincount(types).tolist() == [3, 2]
    assert all(stream.word_ids[t] == ty for t, ty in zip(tokens, types))


def test_unit_stream_rejects_units_outside_the_codebook():
    with pytest.raises(SpokenW2VError, match="outside the codebook"):
        unit_stream([np.array([1, 20])], ["x"], ["u1"], 10, source="units.npz")


# --------------------------------------------------------------------------- neural training


def run(stream, out, cfg, **kw):
    return NeuralTrainer(stream, cfg, torch.device("cpu"), out, **kw).run()


def test_loss_decreases_and_vectors_load_in_gensim(tmp_path):
    from gensim.models import KeyedVectors

    stream = char_stream(topic_corpus())
    result = run(stream, tmp_path, tiny_cfg(stream, epochs=4))
    losses = [r["loss"] for r in result.rows[1:]]
    assert losses[-1] < losses[0] * 0.9
    assert [r["epoch"] for r in result.rows] == [0, 1, 2, 3, 4] and result.rows[0]["loss"] == ""
    cpu = [r["cpu_s"] for r in result.rows]  # cumulative process CPU time from the first step
    assert cpu[0] == 0.0 and all(b >= a for a, b in zip(cpu, cpu[1:])) and cpu[-1] > 0
    io.write_vectors(tmp_path / "v.vec", result.vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.vec"))
    assert len(kv) == len(stream.words) and kv.vector_size == 16
    np.testing.assert_allclose(kv["cat"], result.vectors.vectors[result.vectors.index["cat"]], rtol=1e-5)
    assert (tmp_path / "last.pt").exists() and (tmp_path / "best.pt").exists()
    header = (tmp_path / "metrics.tsv").read_text().splitlines()[0].split("\t")
    assert header == ["epoch", "loss", "examples_per_s", "elapsed_s", "cpu_s", "A", "B", "A_spearman", "B_spearman",
                      "coverage", "A_partial", "B_partial", "A_sem", "A_orth", "A_rand", "dev_A", "dev_B",
                      "dev_A_partial", "dev_B_partial", "dev_coverage"]


def test_resume_after_interruption_reproduces_the_uninterrupted_run(tmp_path):
    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=3, warmup=20)  # the warm-up spans the interruption
    whole = run(stream, tmp_path / "whole", cfg)

    def stop(epoch, step, n):
        if epoch == 2 and step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(stream, tmp_path / "cut", cfg, hooks=Hooks(on_step=stop))
    assert torch.load(tmp_path / "cut" / "last.pt", weights_only=True)["epoch"] == 1
    resumed = run(stream, tmp_path / "cut", cfg, resume=True)
    np.testing.assert_array_equal(resumed.vectors.vectors, whole.vectors.vectors)
    assert [r["loss"] for r in resumed.rows] == [r["loss"] for r in whole.rows]
    cpu = [r["cpu_s"] for r in resumed.rows]  # the resumed run's CPU time goes on from the saved one
    assert all(b >= a for a, b in zip(cpu, cpu[1:])) and cpu[-1] > 0
    a = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "cut" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_default_epochs_by_kind_symbols_and_scale():
    from spokenw2v.config import E2E_EPOCHS, NEURAL_EPOCHS, merged_config

    def epochs(**given):
        return TrainConfig(vocab_size=5, **given).resolved().epochs

    assert epochs(symbols="chars") == E2E_EPOCHS[("chars", 1)]
    assert epochs(symbols="chars", scale=2) == E2E_EPOCHS[("chars", 2)]
    assert epochs(symbols="chars", scale=4) == E2E_EPOCHS[("chars", 2)]  # the largest measured s
    assert epochs(symbols="units") == E2E_EPOCHS[("units", 1)]
    assert epochs(symbols="units", kind="two-stage") == NEURAL_EPOCHS
    assert epochs(symbols="chars", epochs=3) == 3
    assert min(E2E_EPOCHS.values()) > NEURAL_EPOCHS  # e2e trains to its plateau, not 20 epochs
    # a fresh run resolves the default; a resumed run keeps its checkpoint's epochs unless given
    base = dict(kind="e2e", symbols="chars", vocab_size=5)
    assert merged_config(base, {"epochs": None}).epochs == E2E_EPOCHS[("chars", 1)]
    saved = TrainConfig(vocab_size=5, epochs=7).resolved().to_dict()
    assert merged_config(base, {"epochs": None}, saved, "last.pt").epochs == 7
    assert merged_config(base, {"epochs": 9}, saved, "last.pt").epochs == 9


def test_warmup_schedule_is_applied_by_global_step(tmp_path):
    cfg = TrainConfig(vocab_size=5, lr=0.01, warmup=4).resolved()
    assert [cfg.lr_at(i) for i in range(6)] == pytest.approx([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])
    assert TrainConfig(vocab_size=5, lr=0.01, warmup=0).resolved().lr_at(0) == 0.01
    # presets: fast warms up, paper (the published settings) does not; fast takes larger steps on
    # characters at s = 1 (and only there)
    units = TrainConfig(vocab_size=5, symbols="units").resolved()
    assert (units.warmup, units.batch_tokens, units.pool_size, units.lr) == (100, 512, 512, 5e-3)
    chars = TrainConfig(vocab_size=5, symbols="chars").resolved()
    assert (chars.warmup, chars.batch_tokens, chars.pool_size, chars.lr) == (25, 2048, 2048, 1e-2)
    chars2 = TrainConfig(vocab_size=5, symbols="chars", scale=2).resolved()
    assert (chars2.warmup, chars2.batch_tokens, chars2.lr) == (100, 512, 5e-3)
    mine = TrainConfig(vocab_size=5, symbols="chars", batch_tokens=300, lr=0.02).resolved()
    assert (mine.batch_tokens, mine.pool_size, mine.lr, mine.warmup) == (300, 300, 0.02, 25)
    paper = TrainConfig(vocab_size=5, preset="paper").resolved()
    assert (paper.warmup, paper.batch_tokens, paper.lr) == (0, 512, 1e-3)
    # a resolved configuration saved before the warm-up existed resumes without one
    old = {k: v for k, v in TrainConfig(vocab_size=5).resolved().to_dict().items() if k != "warmup"}
    assert TrainConfig.from_dict(old).resolved().warmup == 0
    with pytest.raises(SpokenW2VError, match="warmup"):
        TrainConfig(vocab_size=5, warmup=-1).resolved()

    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=1, lr=0.01, warmup=1000)
    run(stream, tmp_path, cfg)
    ck = torch.load(tmp_path / "last.pt", weights_only=True)
    steps = ck["step"]
    assert 1 < steps < 1000
    # the optimizer's rate of the last step is the warm-up rate of that (global) step
    assert ck["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.01 * steps / 1000)


def test_resume_refuses_another_configuration_or_other_data(tmp_path):
    stream = char_stream(topic_corpus())
    run(stream, tmp_path, tiny_cfg(stream, epochs=1))
    with pytest.raises(SpokenW2VError, match="another configuration.*window"):
        run(stream, tmp_path, tiny_cfg(stream, epochs=2, window=3), resume=True)
    other = char_stream(topic_corpus(seed=5))
    with pytest.raises(SpokenW2VError, match="other data"):
        run(other, tmp_path, tiny_cfg(other, epochs=2), resume=True)


def test_non_finite_loss_stops_naming_epoch_and_step(tmp_path, monkeypatch):
    import spokenw2v.models as models

    stream = char_stream(topic_corpus())
    original = models.sgns_loss
    calls = {"n": 0}

    def poisoned(*args):
        calls["n"] += 1
        loss = original(*args)
        return loss * float("nan") if calls["n"] == 3 else loss

    monkeypatch.setattr(models, "sgns_loss", poisoned)
    with pytest.raises(SpokenW2VError, match="non-finite loss at epoch 1, step 3"):
        run(stream, tmp_path, tiny_cfg(stream, epochs=2))


def test_two_stage_trains_linear_layers_on_frozen_vectors(tmp_path):
    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, kind="two-stage", epochs=2, ae_epochs=3)
    trainer = NeuralTrainer(stream, cfg, torch.device("cpu"), tmp_path)
    result = trainer.run()
    assert len(result.extra["ae_losses"]) == 3 and result.extra["ae_losses"][-1] < result.extra["ae_losses"][0]
    assert all(not p.requires_grad for p in trainer.autoencoder.parameters())
    trainable = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert trainable and all(".head." in n for n in trainable)
    assert result.vectors.vectors.shape == (len(stream.words), 16)
    # resume rebuilds the frozen table from the checkpoint and continues
    more = NeuralTrainer(stream, TrainConfig.from_dict({**cfg.to_dict(), "epochs": 3}), torch.device("cpu"),
                         tmp_path, resume=True).run()
    assert [r["epoch"] for r in more.rows] == [0, 1, 2, 3]


def test_ddp_code_path_world_size_one_matches_plain_run(tmp_path, monkeypatch):
    import torch.distributed as dist

    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=2)
    plain = run(stream, tmp_path / "plain", cfg)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(29500 + np.random.default_rng().integers(1000)))
    try:
        ddp = run(stream, tmp_path / "ddp", cfg, dist=Distributed(0, 1, 0, True))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    np.testing.assert_allclose(ddp.vectors.vectors, plain.vectors.vectors, atol=1e-6)


@requires_cuda
def test_cuda_bf16_run_learns(tmp_path):
    stream = char_stream(topic_corpus())
    result = NeuralTrainer(stream, tiny_cfg(stream, epochs=3), torch.device("cuda"), tmp_path).run()
    assert result.rows[-1]["loss"] < result.rows[1]["loss"]
    ck = torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)
    assert "cuda" in ck["rng"]


# --------------------------------------------------------------------------- gensim kinds


def test_text_is_reproducible_and_oracle_equals_text_on_the_same_tokens():
    sentences = topic_corpus()
    cfg = TextConfig(dim=10, min_count=1, epochs=3, seed=3)
    a, rows = train_text(sentences, cfg)
    b, _ = train_text(sentences, cfg)
    o, _ = train_oracle(sentences, cfg)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert o.words == a.words
    np.testing.assert_array_equal(o.vectors, a.vectors)
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3] and rows[1]["loss"] > 0


def _ddp_worker(rank: int, world: int, port: int, out: str, result: str) -> None:
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import torch.distributed as dist

    stream = char_stream(topic_corpus())
    trainer = NeuralTrainer(stream, tiny_cfg(stream, epochs=2), torch.device("cpu"), out,
                            dist=Distributed(rank, world, 0, True))
    trainer.run()
    state = {k: v.clone() for k, v in trainer.model.module.state_dict().items()}
    torch.save(state, f"{result}.{rank}")
    dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_two_processes_stay_in_sync(tmp_path):
    import torch.multiprocessing as mp

    port = 30500 + int(np.random.default_rng().integers(1000))
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "run"), str(tmp_path / "state")), nprocs=2, join=True)
    a = torch.load(tmp_path / "state.0", weights_only=True)
    b = torch.load(tmp_path / "state.1", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)
    header, rows = io.read_tsv(tmp_path / "run" / "metrics.tsv", ["epoch", "loss"])
    assert [r["epoch"] for _, r in rows] == ["0", "1", "2"]



@pytest.mark.parametrize("layers", [1, 2, 3, 4])  # the GRU layers of scales s = 1..4
@pytest.mark.parametrize("all_steps", [False, True])
def test_fused_and_gru_paths_agree(layers, all_steps):
    """The CPU recurrence (sorted rows, both directions batched) computes what nn.GRU over the
    padded tensor computes, with the same gradients; so does the symbol-table input."""
    torch.manual_seed(1)
    gru = PadInvariantBiGRU(4, 5, layers)
    emb = torch.nn.Embedding(6, 4)
    lengths = torch.tensor([3, 1, 7, 7, 2])
    tokens = torch.randint(0, 6, (5, 8)) * (torch.arange(8)[None] < lengths[:, None])
    valid = (torch.arange(8)[None, :, None] < lengths[:, None, None])
    results = []
    for fused, from_symbols in ((True, False), (True, True), (False, False)):
        gru.fused = fused
        gru.zero_grad()
        emb.zero_grad()
        if from_symbols and not all_steps:
            y = gru.encode_symbols(emb, tokens, lengths)
        else:
            y = gru(emb(tokens), lengths, all_steps=all_steps)
        if all_steps:  # only the valid steps are defined
            assert y.shape == (5, 8, 10)
            y = y * valid
        (y.pow(2).sum() + y.sum()).backward()
        results.append((y.detach(), [p.grad.clone() for p in [*gru.parameters(), emb.weight]]))
    for y, grads in results[:2]:
        torch.testing.assert_close(y, results[2][0], atol=1e-5, rtol=1e-5)
        for a, b in zip(grads, results[2][1]):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_learning_rate_schedules_by_hand():
    """constant / linear / cosine after the warm-up, by the run's progress; checkpoints saved
    before schedules existed resume with a constant rate."""
    cfg = TrainConfig(vocab_size=5, lr=0.01, warmup=0, lr_schedule="linear").resolved()
    assert [cfg.lr_at(100, p) for p in (0.0, 0.25, 1.0)] == pytest.approx([0.01, 0.0075, 0.0])
    cfg = TrainConfig(vocab_size=5, lr=0.01, warmup=0, lr_schedule="cosine").resolved()
    assert [cfg.lr_at(100, p) for p in (0.0, 0.5, 1.0)] == pytest.approx([0.01, 0.005, 0.0])
    cfg = TrainConfig(vocab_size=5, lr=0.01, warmup=4, lr_schedule="linear").resolved()
    assert cfg.lr_at(1, 0.5) == pytest.approx(0.01 * 0.5 * 2 / 4)  # warm-up times the schedule
    # fast decays the rate by a cosine on characters at s = 1 only; paper and the rest keep it constant
    assert TrainConfig(vocab_size=5, symbols="chars").resolved().lr_schedule == "cosine"
    assert TrainConfig(vocab_size=5, symbols="chars", scale=2).resolved().lr_schedule == "constant"
    assert TrainConfig(vocab_size=5, symbols="units").resolved().lr_schedule == "constant"
    assert TrainConfig(vocab_size=5, preset="paper").resolved().lr_schedule == "constant"
    assert TrainConfig(vocab_size=5, lr_schedule="constant").resolved().lr_schedule == "constant"
    saved = {k: v for k, v in TrainConfig(vocab_size=5, symbols="units").resolved().to_dict().items()
             if k != "lr_schedule"}
    assert TrainConfig.from_dict(saved).lr_schedule == "constant"
    with pytest.raises(SpokenW2VError, match="Schedule"):
        TrainConfig(vocab_size=5, lr_schedule="step").resolved()


def test_linear_schedule_ends_near_zero(tmp_path):
    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream, epochs=2, lr=0.01, lr_schedule="linear")
    run(stream, tmp_path, cfg)
    ck = torch.load(tmp_path / "last.pt", weights_only=True)
    n = ck["step"] // 2  # steps per epoch (both epochs have the same kept stream size here or close)
    assert 0 < ck["optimizer"]["param_groups"][0]["lr"] < 0.01 * 2 / max(n, 1)


def test_merged_buckets_encode_as_separate_buckets():
    """The fused recurrence runs a plan's buckets as one call: the same vectors and gradients
    as one call per bucket."""
    from spokenw2v.data import encode_plan
    from spokenw2v.models import SequenceEncoder

    stream = char_stream(topic_corpus())
    cfg = tiny_cfg(stream)
    torch.manual_seed(0)
    enc = SequenceEncoder(cfg)
    plan, _ = encode_plan(stream, np.arange(stream.n_sequences), 4)
    assert len(plan.buckets) == 4
    merged = enc(plan)
    merged.pow(2).sum().backward()
    g_merged = [p.grad.clone() for p in enc.parameters()]
    enc.zero_grad()
    apart = torch.cat([enc.encode(t, n) for t, n in plan.buckets])
    apart.pow(2).sum().backward()
    torch.testing.assert_close(merged, apart, atol=1e-6, rtol=1e-5)
    for a, b in zip(g_merged, [p.grad for p in enc.parameters()]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_per_epoch_metrics_encode_only_the_test_words(tmp_path):
    """The vectors of a subset of words are those rows of every type's vectors (the per-epoch
    metrics read only test words), and the metrics logged per epoch are the metrics of the
    full vectors."""
    from spokenw2v.monitor import Evaluator

    sentences = topic_corpus()
    stream = char_stream(sentences)
    ref = train_text(sentences, TextConfig(dim=16, epochs=3, min_count=1))[0]
    evaluator = Evaluator.build(ref, sentences, seed=0)
    trainer = NeuralTrainer(stream, tiny_cfg(stream, epochs=1), torch.device("cpu"), tmp_path, evaluator=evaluator)
    result = trainer.run()
    assert evaluator.words <= set(stream.words)
    words = set(sorted(evaluator.words)[:7]) | {"not-a-word"}
    part = trainer.type_vectors(words)
    assert len(part.words) == 7
    assert sorted(part.words) == sorted(words & set(stream.words))
    full = {w: v for w, v in zip(result.vectors.words, result.vectors.vectors)}
    # equal up to float rounding (another set of sequences is another batch shape)
    np.testing.assert_allclose(np.stack([full[w] for w in part.words]), part.vectors, rtol=1e-5, atol=1e-6)
    logged = result.rows[-1]
    for key, value in evaluator(result.vectors).items():
        assert logged[key] == pytest.approx(value, rel=1e-4, abs=1e-6, nan_ok=True), key
