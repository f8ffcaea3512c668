"""Encoders, the skipgram negative-sampling (SGNS) loss and the training configuration.

Neural kinds (see ``docs/commands.md``, "train"):

* ``e2e`` -- :class:`SequenceEncoder`: symbol embedding (50) -> bidirectional GRU
  (hidden ``50*s``, ``s`` layers) -> ``s`` linear layers -> ``100*s`` dimensions, over the
  discrete sequence of each word token (its characters, or its units).  The target and the
  context encoders are separate modules of the same shape.
* ``two-stage`` -- stage 1 :class:`SequenceAutoencoder` (a GRU sequence auto-encoder over the
  same sequences, reconstruction loss), then frozen; stage 2 :class:`TableEncoder`: ``s``
  trainable linear layers on top of the frozen stage-1 vectors.

The loss of one centre word ``t`` with its in-window context words ``c`` and its sampled
negatives ``n`` is ``sum_c -log sigma(c.t) + sum_n -log sigma(-n.t)``; a batch's loss is
the mean over its centre words.

Every hyperparameter lives in :class:`TrainConfig`, which the checkpoints carry, so resume
and evaluation need no repeated flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .config import Activation, Kind, TrainConfig
from .errors import SpokenW2VError

ACTIVATIONS: dict[Activation, type[nn.Module]] = {
    Activation.none: nn.Identity,
    Activation.relu: nn.ReLU,
    Activation.tanh: nn.Tanh,
}

# --------------------------------------------------------------------------- encoders


@dataclass
class EncodePlan:
    """The distinct sequences one encoder runs in one step.

    ``seq_ids`` (U,) int64 are the distinct sequence ids, in output row order.  ``buckets``
    cover them in the same order: each is ``(tokens (n, L) int64 padded, lengths (n,) int64)``
    with the sequences of that bucket sorted by length.
    """

    seq_ids: torch.Tensor
    buckets: list[tuple[torch.Tensor, torch.Tensor]]

    def to(self, device: torch.device, non_blocking: bool = False) -> "EncodePlan":
        return EncodePlan(self.seq_ids.to(device, non_blocking=non_blocking),
                          [(t.to(device, non_blocking=non_blocking), n.to(device, non_blocking=non_blocking))
                           for t, n in self.buckets])


sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input  # grad * y * (1 - y), one pass
tanh_backward = torch.ops.aten.tanh_backward.grad_input  # grad * (1 - y * y), one pass


class _GRUSteps(torch.autograd.Function):
    """The GRU recurrence of 2 directions at once over packed input gates, with a hand-written
    backward pass (one autograd node instead of ~10 per time step).

    ``gi`` (2, P, 3H): input gates ``W_ih x + b_ih`` in the packed layout (step t holds the
    first ``active[t]`` rows, rows sorted by decreasing length, each direction in its own
    time order); ``w_hh`` (2, H, 3H) the transposed hidden weights; ``b_hh`` (2, 1, 3H).
    Returns the final state of every row (2, n, H) and, with ``want_steps``, every step's
    state (2, P, H) (else an empty tensor).  PyTorch's GRU equations: r = s(gi_r + gh_r),
    z = s(gi_z + gh_z), c = tanh(gi_n + r * gh_n), h' = (1 - z) c + z h.
    """

    @staticmethod
    def forward(ctx, gi, w_hh, b_hh, active, want_steps):
        H = w_hh.shape[1]
        n = active[0] if active else 0
        h = gi.new_zeros(2, n, H)
        final = gi.new_empty(2, n, H)
        saved, states = [], []
        start = 0
        for t, m in enumerate(active):
            hp = h if h.shape[1] == m else h[:, :m]
            gh = torch.baddbmm(b_hh, hp, w_hh)  # (2, m, 3H)
            g = gi[:, start:start + m]
            rz = torch.add(g[..., : 2 * H], gh[..., : 2 * H]).sigmoid_()
            ghn = gh[..., 2 * H:]
            c = torch.addcmul(g[..., 2 * H:], rz[..., :H], ghn).tanh_()
            d = hp - c
            h = torch.addcmul(c, rz[..., H:], d)
            nxt = active[t + 1] if t + 1 < len(active) else 0
            if nxt < m:
                final[:, nxt:m] = h[:, nxt:m]
            saved.append((hp, rz, c, ghn, d))
            if want_steps:
                states.append(h)
            start += m
        ctx.saved = saved
        ctx.active = active
        ctx.save_for_backward(w_hh)
        ctx.gi_shape = gi.shape
        steps = torch.cat(states, dim=1) if want_steps and states else gi.new_zeros(0)
        return final, steps

    @staticmethod
    def backward(ctx, d_final, d_steps):
        (w_hh,) = ctx.saved_tensors
        active, saved = ctx.active, ctx.saved
        H = w_hh.shape[1]
        dgi = w_hh.new_empty(ctx.gi_shape)
        dgh_all = w_hh.new_empty(ctx.gi_shape)  # gradients of the hidden gates, packed
        w_t = w_hh.transpose(1, 2)
        starts = [0]
        for m in active[:-1]:
            starts.append(starts[-1] + m)
        carry = None  # gradient of the state flowing into step t + 1, (2, active[t + 1], H)
        have_steps = d_steps is not None and d_steps.numel() > 0
        for t in range(len(active) - 1, -1, -1):
            m, start = active[t], starts[t]
            nxt = active[t + 1] if t + 1 < len(active) else 0
            dh = d_final.new_empty(2, m, H)
            if nxt:
                dh[:, :nxt] = carry
            dh[:, nxt:m] = d_final[:, nxt:m]
            if have_steps:
                dh += d_steps[:, start:start + m]
            _, rz, c, ghn, d = saved[t]
            r, z = rz[..., :H], rz[..., H:]
            g = dgi[:, start:start + m]
            dgh = dgh_all[:, start:start + m]
            # h' = c + z (h - c): the fused backward ops of sigmoid and tanh take the outputs
            dhz = dh * z
            sigmoid_backward(dh * d, z, grad_input=g[..., H: 2 * H])  # d(pre-activation of z)
            tanh_backward(dh - dhz, c, grad_input=g[..., 2 * H:])  # d(pre-activation of c)
            torch.mul(g[..., 2 * H:], r, out=dgh[..., 2 * H:])  # d(gh_n)
            sigmoid_backward(g[..., 2 * H:] * ghn, r, grad_input=g[..., :H])  # d(pre-activation of r)
            dgh[..., : 2 * H] = g[..., : 2 * H]
            carry = torch.baddbmm(dhz, dgh, w_t)
        # weight and bias gradients of all steps in one product: sum_t h_{t-1}^T dgh_t
        h_prev = torch.cat([hp for hp, *_ in saved], dim=1)  # (2, P, H)
        dw = torch.bmm(h_prev.transpose(1, 2), dgh_all)
        db = dgh_all.sum(1, keepdim=True)
        ctx.saved = None
        return dgi, dw, db, None, None


class PadInvariantBiGRU(nn.Module):
    """A bidirectional GRU over right-padded sequences whose result ignores the padding.

    Each direction is its own unidirectional GRU per layer.  The backward direction reads
    every sequence reversed *within its length* (pads stay at the end), so neither direction
    ever sees a pad before a valid symbol.  Output per sequence: the forward state at the
    last valid step concatenated with the backward state at step 0 -> (n, 2 * hidden).

    Two implementations of the same function (equal up to float rounding, tested): on CUDA,
    ``nn.GRU`` over the padded tensor (large cuDNN kernels; the pads are computed, then
    ignored).  Elsewhere (``fused``, the CPU), :meth:`fused_forward` runs the recurrence
    itself: the rows sorted by length so each time step computes only the sequences still
    running (no pad is ever computed), both directions in one batched matrix product per
    step, and for the first layer the input projection ``W_ih x + b_ih`` of every symbol
    computed once per call as a (symbols, 3*hidden) table and looked up, instead of a
    matrix product per sequence position.  The parameters are the ``nn.GRU`` modules' own,
    so checkpoints are the same either way.  On the CPU this trains about twice as fast
    (bench/RESULTS.md).
    """

    def __init__(self, input_size: int, hidden: int, layers: int):
        super().__init__()
        self.hidden = hidden
        sizes = [input_size] + [2 * hidden] * (layers - 1)
        self.forward_layers = nn.ModuleList(nn.GRU(n, hidden, batch_first=True) for n in sizes)
        self.backward_layers = nn.ModuleList(nn.GRU(n, hidden, batch_first=True) for n in sizes)
        self.fused: bool | None = None  # None: fused off CUDA, nn.GRU on CUDA

    def use_fused(self, device: torch.device) -> bool:
        return (device.type != "cuda") if self.fused is None else self.fused

    def encode_symbols(self, embedding: nn.Embedding, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """tokens (n, L) symbol ids right-padded, lengths (n,) -> (n, 2*hidden): the same as
        ``self(embedding(tokens), lengths)``."""
        if self.use_fused(tokens.device):
            return self.fused_forward(lengths, tokens=tokens, embedding=embedding.weight)
        return self(embedding(tokens), lengths)

    @staticmethod
    def reverse_index(lengths: torch.Tensor, width: int) -> torch.Tensor:
        """(n, L) positions that reverse each row within its length (pads stay in place)."""
        t = torch.arange(width, device=lengths.device)[None, :]
        n = lengths[:, None]
        return torch.where(t < n, n - 1 - t, t)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, all_steps: bool = False) -> torch.Tensor:
        """x (n, L, input_size) right-padded, lengths (n,) >= 1 -> (n, 2*hidden), or with
        ``all_steps`` the top layer's outputs (n, L, 2*hidden) (garbage past each length).

        Under CUDA autocast the GRUs run in float32: cuDNN's autocast rule runs recurrent
        layers in float16 whatever the autocast dtype, and training uses no loss scaling, so
        small GRU gradients could underflow.  The layers around them keep bf16."""
        if self.use_fused(x.device):
            return self.fused_forward(lengths, x=x, all_steps=all_steps)
        if x.is_cuda and torch.is_autocast_enabled("cuda"):
            with torch.autocast(device_type="cuda", enabled=False):
                return self._forward(x.float(), lengths, all_steps)
        return self._forward(x, lengths, all_steps)

    def _forward(self, x: torch.Tensor, lengths: torch.Tensor, all_steps: bool) -> torch.Tensor:
        n, width, _ = x.shape
        rev = self.reverse_index(lengths, width)
        h = x
        out_f = out_b = None
        for layer, (fwd, bwd) in enumerate(zip(self.forward_layers, self.backward_layers)):
            out_f, _ = fwd(h)
            idx = rev[:, :, None].expand(-1, -1, h.shape[-1])
            out_b_rev, _ = bwd(torch.gather(h, 1, idx))
            last = layer == len(self.forward_layers) - 1
            if last and not all_steps:
                rows = torch.arange(n, device=x.device)
                return torch.cat([out_f[rows, lengths - 1], out_b_rev[rows, lengths - 1]], dim=-1)
            out_b = torch.gather(out_b_rev, 1, rev[:, :, None].expand(-1, -1, self.hidden))
            h = torch.cat([out_f, out_b], dim=-1)
        return h

    def fused_forward(self, lengths: torch.Tensor, x: torch.Tensor | None = None, tokens: torch.Tensor | None = None,
                      embedding: torch.Tensor | None = None, all_steps: bool = False) -> torch.Tensor:
        """The fused recurrence over ``x`` (n, L, in), or over ``embedding[tokens]`` (tokens
        (n, L), embedding (symbols, in)) with the first layer's input projection as a table.
        Same results as the ``nn.GRU`` path (past each length, ``all_steps`` rows are 0).
        Runs in float32 with autocast off (as the GRUs do under CUDA autocast)."""
        device_type = (x if x is not None else tokens).device.type
        if torch.is_autocast_enabled(device_type):
            with torch.autocast(device_type=device_type, enabled=False):
                return self.fused_forward(lengths, None if x is None else x.float(), tokens,
                                          None if embedding is None else embedding.float(), all_steps)
        width = (x if x is not None else tokens).shape[1]
        n = lengths.shape[0]
        device = lengths.device
        order = torch.argsort(lengths, descending=True, stable=True)
        lens = lengths.index_select(0, order)
        steps = int(lens[0]) if n else 0
        # active[t]: the sequences with more than t symbols, a prefix of the sorted rows
        active = (lens.cpu()[None, :] > torch.arange(steps)[:, None]).sum(1)
        # packed layout (time-major, like PackedSequence): step t holds sorted rows 0..active[t]-1
        packed = torch.cat([t * n + torch.arange(int(m)) for t, m in enumerate(active)]).to(device)
        # flip[p]: the packed position of the same row at the mirrored time len - 1 - t, where the
        # backward direction (which runs in reversed time) holds that symbol; flip is its own inverse
        first = (torch.cumsum(active, 0) - active).to(device)
        rows, times = packed % max(n, 1), packed // max(n, 1)
        flip = first.index_select(0, lens.index_select(0, rows) - 1 - times) + rows
        active = active.tolist()

        def pack(a: torch.Tensor) -> torch.Tensor:  # (n, steps, ...) sorted rows -> (P, ...)
            return a.transpose(0, 1).reshape(steps * n, *a.shape[2:]).index_select(0, packed)

        # Between layers the states stay packed: a layer's input at (row, t) is the forward state
        # at (row, t) and the backward state at flip of it, so no padded (n, steps, 2H) tensor is
        # ever built (the gathers and scatters of reversing within lengths cost as much as the
        # products at s >= 2).
        outs = None
        finals = None
        for layer, (fwd, bwd) in enumerate(zip(self.forward_layers, self.backward_layers)):
            last = layer == len(self.forward_layers) - 1
            if layer == 0 and tokens is not None:
                # one (2 * symbols, 3H) table of input gates; step t looks up its rows' symbols
                tok = pack(tokens.index_select(0, order)[:, :steps])
                table = torch.cat([F.linear(embedding, fwd.weight_ih_l0, fwd.bias_ih_l0),
                                   F.linear(embedding, bwd.weight_ih_l0, bwd.bias_ih_l0)])
                both = torch.stack([tok, tok.index_select(0, flip) + embedding.shape[0]])
                gi = F.embedding(both, table)  # (2, P, 3H)
            else:
                if layer == 0:
                    inp = pack(x.index_select(0, order)[:, :steps])  # (P, in)
                else:
                    inp = torch.cat([outs[0], outs[1].index_select(0, flip)], dim=-1)  # (P, 2H)
                # two plain products (CPU bmm is slower than mm at these shapes), (2, P, 3H)
                gi = torch.stack([F.linear(inp, fwd.weight_ih_l0, fwd.bias_ih_l0),
                                  F.linear(inp.index_select(0, flip), bwd.weight_ih_l0, bwd.bias_ih_l0)])
            w_hh = torch.stack([fwd.weight_hh_l0, bwd.weight_hh_l0]).transpose(1, 2)  # (2, H, 3H)
            b_hh = torch.stack([fwd.bias_hh_l0, bwd.bias_hh_l0])[:, None, :]  # (2, 1, 3H)
            finals, outs = _GRUSteps.apply(gi, w_hh, b_hh, active, all_steps or not last)
        unsort = torch.empty_like(order)
        unsort[order] = torch.arange(n, device=device)
        if not all_steps:
            return torch.cat([finals[0], finals[1]], dim=-1).index_select(0, unsort)
        top = torch.cat([outs[0], outs[1].index_select(0, flip)], dim=-1)  # (P, 2H)
        full = top.new_zeros(steps * n, 2 * self.hidden).index_copy(0, packed, top)  # zeros past each length
        full = full.view(steps, n, 2 * self.hidden).transpose(0, 1)
        return F.pad(full.index_select(0, unsort), (0, 0, 0, width - steps))


def linear_stack(n_in: int, n_out: int, layers: int, activation: str) -> nn.Module:
    """``layers`` linear layers n_in -> n_out -> ... -> n_out, ``activation`` between them."""
    if layers == 0:
        if n_in != n_out:
            raise SpokenW2VError(f"0 linear layers need GRU output size ({n_in}) == dim ({n_out})")
        return nn.Identity()
    modules: list[nn.Module] = []
    for i in range(layers):
        if i:
            modules.append(ACTIVATIONS[Activation(activation)]())
        modules.append(nn.Linear(n_in if i == 0 else n_out, n_out))
    return nn.Sequential(*modules)


class SequenceEncoder(nn.Module):
    """Embedding -> :class:`PadInvariantBiGRU` -> linear layers: a sequence -> (dim,)."""

    def __init__(self, cfg: TrainConfig):
        super().__init__()
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.gru = PadInvariantBiGRU(cfg.embed_dim, cfg.hidden, cfg.gru_layers)
        self.head = linear_stack(2 * cfg.hidden, cfg.dim, cfg.linear_layers, cfg.activation)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """tokens (n, L) int64 padded, lengths (n,) -> (n, dim)."""
        return self.head(self.gru.encode_symbols(self.embedding, tokens, lengths))

    def forward(self, plan: EncodePlan) -> torch.Tensor:
        """(U, dim) vectors of the plan's distinct sequences, in ``plan.seq_ids`` order.

        The fused recurrence never computes a pad, so there the buckets run as one call (one
        pass over the time steps instead of one per bucket: on MFCC units about 1.5 times as
        many words per second on 2 CPU cores, bench/RESULTS.md); ``nn.GRU`` runs them apart."""
        buckets = plan.buckets
        if len(buckets) > 1 and self.gru.use_fused(buckets[0][0].device):
            buckets = [merge_buckets(buckets)]
        return torch.cat([self.encode(t, n) for t, n in buckets], dim=0)


def merge_buckets(buckets: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded buckets ``(tokens (n_i, L_i), lengths (n_i,))`` as one ``(sum n_i, max L_i)`` bucket,
    rows in the same order (pads are 0)."""
    width = max(t.shape[1] for t, _ in buckets)
    tokens = torch.cat([F.pad(t, (0, width - t.shape[1])) for t, _ in buckets])
    return tokens, torch.cat([n for _, n in buckets])


class TableEncoder(nn.Module):
    """Linear layers over a frozen table of vectors (one row per sequence id)."""

    def __init__(self, table: torch.Tensor, cfg: TrainConfig):
        super().__init__()
        self.register_buffer("table", table, persistent=False)
        self.head = linear_stack(table.shape[1], cfg.dim, cfg.linear_layers, cfg.activation)

    def forward(self, plan: EncodePlan) -> torch.Tensor:
        return self.head(self.table[plan.seq_ids])


class SequenceAutoencoder(nn.Module):
    """Stage 1 of ``two-stage``: a GRU sequence auto-encoder.

    Encoder: embedding -> :class:`PadInvariantBiGRU` -> (n, 2*hidden) latent (``100*s``
    dimensions by default).  Decoder: a GRU whose initial state is a linear map of the
    latent, fed the previous symbol (teacher forcing, a start symbol first), predicting
    each symbol.  Loss: mean cross-entropy over the valid positions.
    """

    def __init__(self, cfg: TrainConfig):
        super().__init__()
        latent = 2 * cfg.hidden
        self.vocab_size = cfg.vocab_size
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.gru = PadInvariantBiGRU(cfg.embed_dim, cfg.hidden, cfg.gru_layers)
        self.dec_embedding = nn.Embedding(cfg.vocab_size + 1, cfg.embed_dim)  # + start symbol
        self.dec_init = nn.Linear(latent, latent)
        self.decoder = nn.GRU(cfg.embed_dim, latent, batch_first=True)
        self.output = nn.Linear(latent, cfg.vocab_size)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """tokens (n, L), lengths (n,) -> latent (n, 2*hidden)."""
        return self.gru.encode_symbols(self.embedding, tokens, lengths)

    def loss(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        z = self.encode(tokens, lengths)
        start = torch.full((tokens.shape[0], 1), self.vocab_size, dtype=tokens.dtype, device=tokens.device)
        inputs = torch.cat([start, tokens[:, :-1]], dim=1)
        h0 = torch.tanh(self.dec_init(z))[None]
        out, _ = self.decoder(self.dec_embedding(inputs), h0.contiguous())
        logits = self.output(out)  # (n, L, V)
        mask = torch.arange(tokens.shape[1], device=tokens.device)[None] < lengths[:, None]
        return F.cross_entropy(logits[mask].float(), tokens[mask])


# --------------------------------------------------------------------------- SGNS


@dataclass
class SkipGramBatch:
    """One step on device.

    ``target``/``context``: the :class:`EncodePlan` of the target and context encoders.
    ``t_row`` (B,): row of each centre word in the target encodings.  ``c_row`` (B, 2w): row
    of each context slot in the context encodings, ``c_mask`` (B, 2w) bool marks real slots.
    ``n_row`` (B, K): row of each negative in the context encodings.
    """

    target: EncodePlan
    context: EncodePlan
    t_row: torch.Tensor
    c_row: torch.Tensor
    c_mask: torch.Tensor
    n_row: torch.Tensor

    @property
    def size(self) -> int:
        return int(self.t_row.shape[0])

    def to(self, device: torch.device, non_blocking: bool = False) -> "SkipGramBatch":
        return SkipGramBatch(self.target.to(device, non_blocking), self.context.to(device, non_blocking),
                             *(x.to(device, non_blocking=non_blocking)
                               for x in (self.t_row, self.c_row, self.c_mask, self.n_row)))

    def pin_memory(self) -> "SkipGramBatch":
        def pin(p: EncodePlan) -> EncodePlan:
            return EncodePlan(p.seq_ids.pin_memory(), [(t.pin_memory(), n.pin_memory()) for t, n in p.buckets])

        return SkipGramBatch(pin(self.target), pin(self.context),
                             *(x.pin_memory() for x in (self.t_row, self.c_row, self.c_mask, self.n_row)))


def sgns_loss(t_vec: torch.Tensor, c_vec: torch.Tensor, t_row: torch.Tensor, c_row: torch.Tensor,
              c_mask: torch.Tensor, n_row: torch.Tensor) -> torch.Tensor:
    """Mean over centre words of ``sum_c -log sigma(c.t) + sum_n -log sigma(-n.t)``.

    t_vec (Ut, D) distinct target encodings; c_vec (Uc, D) distinct context encodings; the
    rows index them (see :class:`SkipGramBatch`).  One (Ut, Uc) score matrix serves every
    positive and negative pair; scores and loss are computed in float32.
    """
    with torch.autocast(device_type=t_vec.device.type, enabled=False):
        scores = t_vec.float() @ c_vec.float().T  # (Ut, Uc)
        rows = t_row[:, None]
        pos = scores[rows, c_row]  # (B, 2w)
        neg = scores[rows, n_row]  # (B, K)
        per_centre = (F.softplus(-pos) * c_mask).sum(1) + F.softplus(neg).sum(1)
        return per_centre.mean()


class SkipGram(nn.Module):
    """Separate target and context encoders trained with :func:`sgns_loss`."""

    def __init__(self, target: nn.Module, context: nn.Module):
        super().__init__()
        self.target = target
        self.context = context

    def forward(self, batch: SkipGramBatch) -> torch.Tensor:
        return sgns_loss(self.target(batch.target), self.context(batch.context),
                         batch.t_row, batch.c_row, batch.c_mask, batch.n_row)


def build_skipgram(cfg: TrainConfig, table: torch.Tensor | None = None) -> SkipGram:
    """The SGNS model of ``cfg.kind``; ``two-stage`` needs the frozen stage-1 ``table`` (S, D)."""
    if cfg.kind == Kind.e2e.value:
        return SkipGram(SequenceEncoder(cfg), SequenceEncoder(cfg))
    if cfg.kind == Kind.two_stage.value:
        if table is None:
            raise ValueError("two-stage needs the stage-1 table")
        return SkipGram(TableEncoder(table, cfg), TableEncoder(table, cfg))
    raise SpokenW2VError(f"{cfg.kind} is not a neural kind")


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
