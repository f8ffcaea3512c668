import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest

from helpers import LIBRISPEECH_SAMPLE, cuda_available


@pytest.fixture
def librispeech_sample():
    """The real LibriSpeech sample shipped in examples/data (49 utterances of dev-clean)."""
    assert (LIBRISPEECH_SAMPLE / "dev-clean").is_dir(), f"{LIBRISPEECH_SAMPLE} is missing from the checkout"
    return LIBRISPEECH_SAMPLE


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` run for real on a machine with a CUDA GPU and skip elsewhere."""
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
