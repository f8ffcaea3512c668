import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "data" / "librispeech-sample"


@pytest.fixture
def librispeech_sample() -> Path:
    """The real LibriSpeech sample beside the project; skips cleanly when absent."""
    if not (SHARED_SAMPLE / "dev-clean").is_dir():
        pytest.skip("../shared/data/librispeech-sample is not present")
    return SHARED_SAMPLE


def cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs a CUDA GPU")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``requires_cuda`` also carry the ``cuda`` marker: ``pytest -m cuda`` runs them."""
    reason = requires_cuda.kwargs["reason"]
    for item in items:
        if any(m.name == "skipif" and m.kwargs.get("reason") == reason for m in item.iter_markers()):
            item.add_marker(pytest.mark.cuda)
