"""Device choice shared by featurize, discretize and train."""

from __future__ import annotations

from .errors import SpokenW2VError


def resolve_device(name: str):
    """``auto`` -> cuda when available else cpu; ``cuda`` without a GPU is an error."""
    import torch

    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SpokenW2VError("--device cuda was asked for, but no CUDA GPU is available (use --device cpu or auto)")
        try:
            device = torch.device(name)
        except RuntimeError:
            raise SpokenW2VError(f"--device {name!r}: unknown device (expected auto, cpu, cuda or cuda:N)") from None
        if device.type != "cuda":
            raise SpokenW2VError(f"--device {name!r}: unknown device (expected auto, cpu, cuda or cuda:N)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise SpokenW2VError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                                 f"numbered from 0")
        return device
    if name == "cpu":
        return torch.device("cpu")
    raise SpokenW2VError(f"--device {name!r}: unknown device (expected auto, cpu or cuda)")
