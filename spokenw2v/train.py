"""The neural training loop: ``e2e`` and ``two-stage`` SGNS on a token stream.

:class:`NeuralTrainer` owns the device, mixed precision (bf16 autocast, CUDA only), the
per-epoch metrics log (:mod:`spokenw2v.monitor`), the ``last.pt``/``best.pt`` checkpoints and
exact resume (:mod:`spokenw2v.checkpoints`), and DDP when launched by ``torchrun``
(:mod:`spokenw2v.distributed`).  Randomness: model initialisation is seeded
by ``cfg.seed``; every epoch's subsampling, span order and negatives come from generators
seeded by ``(seed, epoch[, rank])``, so a run resumed from the checkpoint of epoch ``e``
continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import math
import os
import queue
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from .checkpoints import (CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load_checkpoint, rng_states, save_checkpoint,
                          set_rng_states)
from .data import EpochBatches, NoiseSampler, TokenStream, distinct_chunks, encode_plan, type_token_choice
from .distributed import Distributed
from .errors import SpokenW2VError
from .io import Segments, TokenVectors, WordVectors
from .config import Kind, TrainConfig, check_resumable, check_step_size
from .models import SequenceAutoencoder, SkipGram, build_skipgram, merge_buckets
from .monitor import Evaluator, metrics_row, write_metrics


@dataclass
class Hooks:
    """Callbacks for progress display; the library itself never prints."""

    on_step: Callable[[int, int, int], None] | None = None  # (epoch, step, steps in epoch)
    on_epoch: Callable[[dict], None] | None = None  # a metrics row
    on_message: Callable[[str], None] | None = None


@dataclass
class RunResult:
    vectors: WordVectors | None  # None on DDP ranks other than 0
    rows: list[dict]
    best_epoch: int
    extra: dict = field(default_factory=dict)


def prefetch(it: Iterator, depth: int) -> Iterator:
    """Run ``it`` in a background thread, ``depth`` items ahead (keeps the GPU fed)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            for item in it:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


class NeuralTrainer:
    """Trains ``e2e`` or ``two-stage`` on a :class:`TokenStream`.

    Writes into ``out_dir`` (rank 0 only): ``last.pt`` after every epoch (epoch 0 = before
    training), ``best.pt`` (highest metric A on the dev split with an evaluator, else lowest loss) and
    ``metrics.tsv``.  With an evaluator the metrics are computed after every ``eval_every``-th
    epoch and after the last (the other epochs' rows have none, and ``best.pt`` is chosen among
    the epochs with metrics).  Under DDP only rank 0 needs an ``evaluator`` (other ranks ignore it and
    may pass None) and only rank 0 computes the final word-type vectors; the ranks meet at
    the same collective operations either way.  With ``resume`` it continues from ``out_dir/last.pt``; its
    configuration must equal ``cfg`` except for ``epochs``, and the data must be the same.
    """

    def __init__(self, stream: TokenStream, cfg: TrainConfig, device: torch.device, out_dir: str | os.PathLike,
                 evaluator: Evaluator | None = None, resume: bool = False, dist: Distributed | None = None,
                 hooks: Hooks | None = None, inputs: dict | None = None, eval_every: int = 1):
        self.stream = stream
        self.cfg = cfg.resolved()
        self.device = device
        self.out_dir = Path(out_dir)
        self.evaluator = evaluator
        if eval_every < 1:
            raise SpokenW2VError(f"--eval-every must be >= 1, found {eval_every}")
        self.eval_every = eval_every  # metrics after every eval_every-th epoch and after the last
        self.resume = resume
        self.dist = dist or Distributed()
        if not self.dist.main:
            self.evaluator = None  # metrics are rank 0's job
        self.hooks = hooks or Hooks()
        self.inputs = inputs or {}
        self.fingerprint = stream.fingerprint()
        # bf16 autocast on CUDA only, and only where the GPU has bf16 (not emulated: that is slow)
        self.amp = (self.cfg.amp and device.type == "cuda"
                    and torch.cuda.is_bf16_supported(including_emulation=False))
        check_step_size(self.cfg, len(stream))
        if self.cfg.vocab_size != stream.vocab_size:
            raise SpokenW2VError(
                f"the data has {stream.vocab_size} symbols but the configuration expects {self.cfg.vocab_size}"
            )
        self.autoencoder: SequenceAutoencoder | None = None
        self.model: SkipGram | None = None
        self.choice = type_token_choice(stream, self.cfg.type_token_cap, self.cfg.seed)

    # -- helpers ---------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        if self.hooks.on_message and self.dist.main:
            self.hooks.on_message(message)

    def _autocast(self):
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    @property
    def _with_tokens(self) -> bool:
        return self.cfg.kind == Kind.e2e.value

    @torch.no_grad()
    def encode_sequences(self, encoder: torch.nn.Module, seq_ids: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """(len(seq_ids), dim) float32 encodings of distinct sequences (eval mode)."""
        was_training = encoder.training
        encoder.eval()
        out = np.zeros((len(seq_ids), self.cfg.dim), dtype=np.float32)
        done = 0
        for ids, plan, rows in distinct_chunks(self.stream, seq_ids, chunk, self.cfg.length_buckets,
                                               self._with_tokens):
            with self._autocast():
                vec = encoder(plan.to(self.device)).float().cpu().numpy()
            out[done + np.arange(len(ids))] = vec[rows]
            done += len(ids)
        encoder.train(was_training)
        return out

    def type_vectors(self, words: set[str] | None = None) -> WordVectors:
        """Every word type's vector (or only those of ``words``): the mean of (up to
        ``type_token_cap``) of its tokens' target-encoder vectors.  The per-epoch metrics ask
        only for their test words' vectors (on the demo's units 6,600 of the 9,081 sequences that
        all types need)."""
        tokens, types = self.choice
        names = list(self.stream.words)
        if words is not None:
            wanted = np.fromiter((w in words for w in names), dtype=bool, count=len(names))
            keep = wanted[types]
            tokens, types = tokens[keep], types[keep]
        unique, inv = np.unique(self.stream.seq_ids[tokens], return_inverse=True)
        enc = self.encode_sequences(self._bare().target, unique)
        sums = torch.zeros(len(names), self.cfg.dim, dtype=torch.float64)
        sums.index_add_(0, torch.from_numpy(types), torch.from_numpy(enc[inv.reshape(-1)]).double())
        counts = np.bincount(types, minlength=len(names))
        present = np.flatnonzero(counts) if words is not None else np.arange(len(names))
        return WordVectors([names[i] for i in present],
                           (sums.numpy()[present] / counts[present, None]).astype(np.float32))

    def _test_vectors(self) -> WordVectors:
        """The vectors the evaluator reads: its test words' (all types' for an evaluator that
        does not name its words)."""
        return self.type_vectors(getattr(self.evaluator, "words", None))

    def token_vectors(self) -> np.ndarray:
        """(N, dim) target-encoder vector of every token."""
        unique, inv = np.unique(self.stream.seq_ids, return_inverse=True)
        return self.encode_sequences(self._bare().target, unique)[inv.reshape(-1)]

    def _bare(self) -> SkipGram:
        m = self.model
        return m.module if hasattr(m, "module") else m

    # -- stage 1 of two-stage -----------------------------------------------------------------------
    @torch.no_grad()
    def _autoencoder_table(self) -> torch.Tensor:
        """(S, 2*hidden) frozen stage-1 vectors of every distinct sequence."""
        ae = self.autoencoder
        ae.eval()
        table = torch.zeros(self.stream.n_sequences, 2 * self.cfg.hidden)
        for ids, plan, rows in distinct_chunks(self.stream, np.arange(self.stream.n_sequences), 8192,
                                               self.cfg.length_buckets):
            buckets = plan.buckets
            if len(buckets) > 1 and ae.gru.use_fused(self.device):  # no pads computed: one call
                buckets = [merge_buckets(buckets)]
            parts = [ae.encode(t.to(self.device), n.to(self.device)).float().cpu() for t, n in buckets]
            table[torch.from_numpy(ids)] = torch.cat(parts)[torch.from_numpy(rows)]
        return table.to(self.device)

    # -- checkpoints -------------------------------------------------------------------------------
    def _payload(self, epoch: int, step: int, rows: list[dict], best: float, best_epoch: int,
                 optimizer: torch.optim.Optimizer) -> dict:
        return {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "config": self.cfg.to_dict(), "data": self.fingerprint, "inputs": dict(self.inputs),
            "words": list(self.stream.words), "alphabet": list(self.stream.alphabet or []),
            "model": self._bare().state_dict(),
            "autoencoder": self.autoencoder.state_dict() if self.autoencoder is not None else {},
            "optimizer": optimizer.state_dict(), "epoch": epoch, "step": step,
            "rows": [dict(r) for r in rows], "best": best, "best_epoch": best_epoch,
            "rng": rng_states(self.device),
        }

    def _check_compatible(self, ck: dict, path: Path) -> None:
        check_resumable(ck, self.cfg, self.fingerprint, path)

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> RunResult:
        cfg, dist = self.cfg, self.dist
        dist.init(self.device)
        last_path, best_path = self.out_dir / "last.pt", self.out_dir / "best.pt"
        ck = None
        if self.resume:
            ck = load_checkpoint(last_path, self.device)
            self._check_compatible(ck, last_path)

        random.seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        torch.manual_seed(cfg.seed)
        table = None
        if cfg.kind == Kind.two_stage.value:
            if ck is None:
                ae_losses = self._train_autoencoder()
            else:
                torch.manual_seed(cfg.seed)
                self.autoencoder = SequenceAutoencoder(cfg).to(self.device)
                self.autoencoder.load_state_dict(ck["autoencoder"])
                ae_losses = []
            for p in self.autoencoder.parameters():
                p.requires_grad_(False)
            table = self._autoencoder_table()
        else:
            ae_losses = []
        torch.manual_seed(cfg.seed)
        model = build_skipgram(cfg, table).to(self.device)
        self.model = model
        self._trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(self._trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
        if ck is not None:
            model.load_state_dict(ck["model"])
            optimizer.load_state_dict(ck["optimizer"])
            rows = [dict(r) for r in ck["rows"]]
            start_epoch, step = int(ck["epoch"]), int(ck["step"])
            best, best_epoch = float(ck["best"]), int(ck["best_epoch"])
            set_rng_states(ck["rng"])
            self._say(f"resuming from {last_path} after epoch {start_epoch}")
        else:
            rows, start_epoch, step, best, best_epoch = [], 0, 0, -math.inf, 0
        if dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            # broadcast_buffers=False: the only buffer is two-stage's frozen table, equal on every rank
            # (it would otherwise be broadcast at every step)
            self.model = DistributedDataParallel(
                model, device_ids=[dist.device.index] if self.device.type == "cuda" else None,
                broadcast_buffers=False)
        if self.dist.main:
            self.out_dir.mkdir(parents=True, exist_ok=True)

        if ck is None:  # epoch 0: the starting point of every curve
            metrics = self.evaluator(self._test_vectors()) if (self.evaluator and dist.main) else None
            rows.append(metrics_row(0, None, None, 0.0, metrics, cpu_s=0.0))
            best = self._score(rows[-1], initial=True)
            self._after_epoch(0, step, rows, best, 0, optimizer, last_path, best_path, improved=True)

        sampler = NoiseSampler(self.stream.word_ids, len(self.stream.words), cfg.noise_power)
        vectors = None  # the final vectors, when the last epoch's metrics computed them
        elapsed0 = float(rows[-1]["elapsed_s"]) if rows else 0.0
        cpu0 = float(rows[-1].get("cpu_s") or 0.0) if rows else 0.0  # runs written before cpu_s: from 0
        t_start, c_start = time.perf_counter(), time.process_time()
        for epoch in range(start_epoch + 1, cfg.epochs + 1):
            batches = EpochBatches(self.stream, cfg, epoch, sampler, dist.rank, dist.world, self._with_tokens)
            t0 = time.perf_counter()
            mean_loss = self._train_epoch(epoch, batches, optimizer, step)
            step += len(batches)
            seconds = time.perf_counter() - t0
            mean_loss = dist.mean(mean_loss)
            last = epoch == cfg.epochs
            metrics = None
            if self.evaluator and dist.main and (last or epoch % self.eval_every == 0):
                # the last epoch's metrics read the final vectors (every type's), computed once
                seen = self.type_vectors() if last else self._test_vectors()
                if last:
                    vectors = seen
                metrics = self.evaluator(seen)
            rows.append(metrics_row(epoch, mean_loss, batches.centre_words * dist.world / max(seconds, 1e-9),
                                    elapsed0 + time.perf_counter() - t_start, metrics,
                                    cpu_s=cpu0 + time.process_time() - c_start))
            score = self._score(rows[-1])
            improved = score > best
            if improved:
                best, best_epoch = score, epoch
            self._after_epoch(epoch, step, rows, best, best_epoch, optimizer, last_path, best_path, improved)
        if vectors is None and dist.main:  # only rank 0 writes them
            vectors = self.type_vectors()
        return RunResult(vectors, rows, best_epoch, {"ae_losses": ae_losses})

    def _train_autoencoder(self) -> list[float]:
        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        ae = SequenceAutoencoder(cfg).to(self.device)
        self.autoencoder = ae
        opt = torch.optim.Adam(ae.parameters(), lr=cfg.ae_lr)
        rng = np.random.default_rng([cfg.seed, 999983])
        ids = np.arange(self.stream.n_sequences)
        losses = []
        for epoch in range(1, cfg.ae_epochs + 1):
            perm = rng.permutation(ids)
            total, n = 0.0, 0
            for a in range(0, len(perm), cfg.ae_batch):
                plan, _ = encode_plan(self.stream, perm[a: a + cfg.ae_batch], 1)
                tokens, lengths = plan.buckets[0]
                with self._autocast():
                    loss = ae.loss(tokens.to(self.device), lengths.to(self.device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(tokens)
                n += len(tokens)
            losses.append(total / max(n, 1))
            if not math.isfinite(losses[-1]):
                raise SpokenW2VError(f"non-finite auto-encoder loss at stage-1 epoch {epoch}")
            self._say(f"two-stage, stage 1: epoch {epoch}/{cfg.ae_epochs}, reconstruction loss {losses[-1]:.4f}")
        if self.dist.enabled:
            import torch.distributed as tdist

            for p in ae.parameters():
                tdist.broadcast(p.data, src=0)
        return losses

    def _score(self, row: dict, initial: bool = False) -> float:
        """Higher is better: metric A on the dev split with an evaluator (never the reported
        test split), else minus the loss."""
        if self.evaluator is not None:
            a = row["dev_A"]
            return float(a) if a != "" and math.isfinite(float(a)) else -math.inf
        if initial or row["loss"] == "":
            return -math.inf
        return -float(row["loss"])

    def _after_epoch(self, epoch, step, rows, best, best_epoch, optimizer, last_path, best_path, improved):
        if self.dist.main:
            payload = self._payload(epoch, step, rows, best, best_epoch, optimizer)
            save_checkpoint(last_path, payload)
            if improved or not best_path.exists():
                save_checkpoint(best_path, payload)
            write_metrics(self.out_dir / "metrics.tsv", rows)
            if self.hooks.on_epoch:
                self.hooks.on_epoch(rows[-1])
        self.dist.barrier()

    def _train_epoch(self, epoch: int, batches: EpochBatches, optimizer: torch.optim.Optimizer,
                     first_step: int) -> float:
        """One epoch; ``first_step`` is the global step count before it (for the warm-up)."""
        model = self.model
        model.train()
        if self.cfg.kind == Kind.two_stage.value:
            self.autoencoder.eval()
        cuda = self.device.type == "cuda"
        source: Iterator = iter(batches)
        if cuda:
            source = prefetch((b.pin_memory() for b in batches), depth=4)
        losses: list[torch.Tensor] = []
        n_steps = len(batches)
        check_every = 1 if not cuda else 50
        checked = 0
        for step, batch in enumerate(source):
            batch = batch.to(self.device, non_blocking=cuda)
            with self._autocast():
                loss = model(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            lr = self.cfg.lr_at(first_step + step, (epoch - 1 + step / n_steps) / max(self.cfg.epochs, 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            if self.cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self._trainable, self.cfg.grad_clip)
            try:
                optimizer.step()
            except RuntimeError as exc:  # an update too large for float32 ("cannot be converted ... overflow")
                if "overflow" not in str(exc):
                    raise
                raise SpokenW2VError(f"non-finite update at epoch {epoch}, step {step + 1} (learning rate {lr:g}); "
                                     f"the epoch's checkpoint was not written (try a lower --lr)") from None
            losses.append(loss.detach())
            if (step + 1) % check_every == 0 or step + 1 == n_steps:
                self._check_finite(losses[checked:], epoch, checked)
                checked = len(losses)
            if self.hooks.on_step and self.dist.main:
                self.hooks.on_step(epoch, step + 1, n_steps)
        self._check_finite_weights(epoch, n_steps)
        if not losses:
            return float("nan")
        return float(torch.stack(losses).float().mean())

    def _check_finite_weights(self, epoch: int, n_steps: int) -> None:
        """Stop when a step of the epoch left a non-finite weight (its loss was finite, the next
        one would not be), before the epoch's checkpoint is written."""
        if not all(bool(torch.isfinite(p).all()) for p in self._trainable):
            raise SpokenW2VError(f"non-finite weights after epoch {epoch} (a step up to step {n_steps} overflowed); "
                                 f"the epoch's checkpoint was not written (try a lower --lr)")

    @staticmethod
    def _check_finite(losses: list[torch.Tensor], epoch: int, first_step: int) -> None:
        """Stop with the epoch and step of the first non-finite loss (the loss of every step
        is kept on the device; on CUDA it is checked every 50 steps to avoid a sync per step)."""
        values = torch.stack(losses).float()
        bad = torch.nonzero(~torch.isfinite(values))
        if len(bad):
            raise SpokenW2VError(
                f"non-finite loss at epoch {epoch}, step {first_step + int(bad[0, 0]) + 1}; the epoch's "
                f"checkpoint was not written (try a lower --lr)"
            )


def token_vectors(trainer: NeuralTrainer, seg: Segments | None, rows: np.ndarray | None) -> TokenVectors:
    """One target-encoder vector per token of ``trainer``'s stream, with its word, utterance
    and times: ``rows`` (N,) are the rows of the word segments ``seg`` that became the tokens
    (None for a text corpus: utterance numbers, NaN times)."""
    vec = trainer.token_vectors()
    stream = trainer.stream
    if seg is not None:
        utt_ids = [seg.utt[i] for i in rows]
        start, end = seg.start[rows], seg.end[rows]
    else:
        utt_ids = [str(stream.utt_index[i]) for i in range(len(stream))]
        start = end = np.full(len(stream), np.nan)
    return TokenVectors(vec, [stream.words[i] for i in stream.word_ids], utt_ids, start, end)

