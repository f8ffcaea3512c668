"""Distributed data parallel set-up: process group settings from ``torchrun``'s environment,
barriers and the mean of a value over ranks.  torch is imported only where it is used, so the
runs that need no torch (``train text``) do not pay its import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass
class Distributed:
    """Process group settings (``torchrun`` sets RANK, WORLD_SIZE and LOCAL_RANK)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    enabled: bool = False
    device: "torch.device | None" = None  # where collectives run (set by init)

    @classmethod
    def from_env(cls) -> "Distributed":
        if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
            return cls()
        return cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)),
                   True)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def init(self, device: "torch.device") -> None:
        import torch
        import torch.distributed as dist

        self.device = torch.device(device)
        if self.enabled and self.device.type == "cuda":
            if self.device.index is None:
                self.device = torch.device("cuda", torch.cuda.current_device())
            torch.cuda.set_device(self.device)  # NCCL collectives and barriers use the current device
        if self.enabled and not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=self.rank,
                                    world_size=self.world)

    def close(self) -> None:
        """Destroy the process group (if this process started one)."""
        import torch.distributed as dist

        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def mean(self, value: float) -> float:
        if not self.enabled:
            return value
        import torch
        import torch.distributed as dist

        # NCCL reduces CUDA tensors only: the value goes to the training device
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return float(t.item()) / self.world
