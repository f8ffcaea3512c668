"""Training checkpoints (``last.pt``/``best.pt``): the format/version keys, atomic save, checked
load (tensors only, no pickled code), and the Python/NumPy/torch random states they carry for
exact resume."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import numpy as np
import torch

from .errors import SpokenW2VError
from .io import atomic_path, check_header

CHECKPOINT_FORMAT = "spokenw2v-checkpoint"
#: The layout version checkpoints are written with (and the newest one read).
CHECKPOINT_VERSION = 1


def rng_states(device: torch.device) -> dict:
    state = random.getstate()
    np_state = np.random.get_state()
    out = {"python": [state[0], list(state[1]), state[2]],
           "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
           "torch": torch.get_rng_state()}
    if device.type == "cuda":
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_states(states: dict) -> None:
    py = states["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = states["numpy"]
    np.random.set_state((n[0], np.asarray(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        # one state per GPU of the saving machine; this one may have fewer (or none: skipped)
        for index, s in enumerate(list(states["cuda"])[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(s.cpu(), index)


def save_checkpoint(path: str | os.PathLike, payload: dict) -> None:
    """``torch.save`` atomically (a temporary file, then rename).  The checkpoint is serialised in
    memory first and written with one plain file write, so a full disk is an ``OSError`` naming the
    checkpoint (torch's own zip writer turns a failed write into an unnamed ``RuntimeError``)."""
    with atomic_path(path) as tmp:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        with open(tmp, "wb") as fh:
            fh.write(buffer.getbuffer())


def load_tensor_file(path: str | os.PathLike, fmt: str, newest: int, what: str, missing: str, origin: str = "",
                     device: torch.device | str = "cpu") -> dict:
    """Load a torch file of spokenw2v's (tensors only, no pickled code) and check its header
    (:func:`spokenw2v.io.check_header`): ``format`` must be ``fmt`` and ``version`` one of 1 to
    ``newest``; these files always carried the header, so a file without one is refused.
    ``what`` names the kind of file in the errors ("checkpoint", "encoder"), ``missing`` what a
    missing file means and ``origin`` (e.g. " (an encoder from `spokenw2v cae`)") where such
    files come from."""
    path = Path(path)
    if not path.exists():
        raise SpokenW2VError(f"{path}: {missing}")
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input here
        raise SpokenW2VError(f"{path}: not a readable {what} ({type(exc).__name__})") from None
    header = ck if isinstance(ck, dict) else {}
    check_header(path, header.get("format"), header.get("version"), fmt, newest, origin=origin)
    return ck


def load_checkpoint(path: str | os.PathLike, device: torch.device | str = "cpu") -> dict:
    """Load a checkpoint written by :class:`spokenw2v.train.NeuralTrainer` (tensors only, no pickled code)."""
    return load_tensor_file(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "checkpoint",
                            "no such checkpoint (nothing to resume)", device=device)
