"""bench/gpu_check.py: its CPU dry run, the step isolation, the generated unit corpus, the wheel
list and the science run at scale (tiny)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", BENCH / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gc = _module()


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_WAIT_POLICY="PASSIVE")
    env.pop("OUT", None)
    return env


def test_unit_corpus_is_seeded_grouped_and_speech_like():
    from spokenw2v.data import unit_stream
    from spokenw2v.frames import unit_statistics

    seqs, words, utts = gc.unit_corpus(30_000, seed=3)
    again, _, _ = gc.unit_corpus(30_000, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(seqs, again))
    assert not all(np.array_equal(a, b) for a, b in zip(seqs, gc.unit_corpus(30_000, seed=4)[0]))
    stats = unit_statistics(seqs, words)
    assert 11 <= stats["mean_units"] <= 18  # the demo's MFCC units: 14.6 per token
    assert 3 <= stats["mean_sequences_per_type"] <= 9  # 30k demo tokens: one voice 4.3, 24 voice conditions 8.1
    assert all(0 <= s.min() and s.max() < 100 and len(s) >= 2 for s in seqs)
    stream = unit_stream(seqs, words, utts, 100)  # raises if tokens are not grouped by utterance
    counts = np.sort(stream.type_counts())[::-1]
    assert counts[0] > 20 * counts[len(counts) // 2]  # Zipfian


def test_failed_step_is_recorded_not_raised(tmp_path, monkeypatch):
    def broken(st, work):
        st.figure("before_the_failure", 1.5, "s")
        raise RuntimeError("a CUDA error")

    monkeypatch.setitem(gc.STEPS, "env", broken)
    part = tmp_path / "env.json"
    assert gc.run_step("env", part, dry_run=True, budget=10) == 1
    rec = json.loads(part.read_text())
    assert rec["status"] == "failed" and rec["error"] == "RuntimeError: a CUDA error"
    assert rec["figures"][0]["name"] == "before_the_failure"
    results = {"device": "X", "dry_run": True, "started": "now", "seconds": 1.0, "steps": [rec]}
    gc.write_report(tmp_path, results)
    md = (tmp_path / "results.md").read_text()
    assert "# GPU check: X" in md and "| env | failed |" in md and "RuntimeError: a CUDA error" in md
    assert json.loads((tmp_path / "results.json").read_text())["steps"][0]["status"] == "failed"


def test_targets_are_judged_on_the_gpu_only():
    st = gc.Step("train", dry_run=False, budget=1)
    st.figure("train_s1_words_per_s", 60_000, "centre words/s")
    st.figure("kmeans_fit_1M_x_768_k100_s", 7.5, "s")
    assert st.figures[0]["met"] is True and st.figures[0]["target"] == ">= 50000"
    assert st.figures[1]["met"] is False and st.figures[1]["target"] == "<= 5"
    dry = gc.Step("train", dry_run=True, budget=1)
    dry.figure("train_s1_words_per_s", 100, "centre words/s")
    assert "met" not in dry.figures[0]


def test_every_figure_is_saved_at_once(tmp_path):
    """A step killed at its time limit keeps the figures it had (the record is saved after each)."""
    part = tmp_path / "train.json"
    st = gc.Step("train", dry_run=True, budget=10, part=part)
    st.figure("first", 2.0, "s")
    rec = json.loads(part.read_text())
    assert rec["status"] == "running" and [f["name"] for f in rec["figures"]] == ["first"]
    st.figure("second", 3.0, "s")
    assert len(json.loads(part.read_text())["figures"]) == 2


def test_a_step_past_its_budget_is_killed(tmp_path):
    with open(tmp_path / "log", "w") as log:
        t = time.perf_counter()
        rc, took = gc._run_child([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"],
                                 log, timeout=2)
    assert rc is None and took < 20 and time.perf_counter() - t < 20
    assert "started" in (tmp_path / "log").read_text()


def test_dry_run_writes_the_result_files(tmp_path):
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "check", "--dry-run", "--steps", "kmeans", "--out",
                        str(out)], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["gpu_check.log", "results.json", "results.md"]
    res = json.loads((out / "results.json").read_text())
    assert res["dry_run"] is True and "(dry run)" in res["device"]
    assert [s["step"] for s in res["steps"]] == ["kmeans"]
    assert res["steps"][0]["status"] == "ok", res["steps"]
    kmeans = {f["name"]: f for f in res["steps"][0]["figures"]}
    assert kmeans["kmeans_fit_dry_s"]["value"] > 0 and kmeans["kmeans_fit_dry_s"]["unit"] == "s"
    assert any(name.startswith("codebook_fit_apply_") for name in kmeans)
    md = (out / "results.md").read_text()
    assert md.startswith(f"# GPU check: {res['device']}") and "| kmeans | ok |" in md
    assert "kmeans_fit_dry_s" in md and "===== kmeans" in (out / "gpu_check.log").read_text()
    assert "kmeans_fit_dry_s" in p.stdout  # every figure is printed too


def test_unknown_step_is_a_one_line_error(tmp_path):
    p = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "--dry-run", "--steps", "env,nope", "--out",
                        str(tmp_path)], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr.startswith("Error: unknown step(s) nope")


def test_wheel_list_pins_the_packages_the_gpu_machine_lacks():
    lines = [ln.split("#")[0].strip() for ln in (BENCH / "gpu_wheels.txt").read_text().splitlines()]
    pins = dict(ln.split("==") for ln in lines if ln)
    assert {"gensim", "soundfile", "rapidfuzz", "smart_open", "cffi", "pycparser"} <= set(pins)
    assert all(v and v[0].isdigit() for v in pins.values())
    assert "bench/wheels/" in (REPO / ".gitignore").read_text().splitlines()


def test_fetch_wheels_checks_the_python_version():
    p = subprocess.run(["bash", str(BENCH / "fetch_wheels.sh"), "three"], cwd=REPO, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1 and "Error: PYTHON_VERSION must look like 3.12" in p.stderr


@pytest.mark.slow
def test_full_dry_run_through_the_wrapper(tmp_path):
    out = tmp_path / "out"
    p = subprocess.run(["bash", str(BENCH / "gpu_check.sh"), "--dry-run", "--out", str(out)], cwd=REPO, env=_env(),
                       capture_output=True, text=True, timeout=900)
    res = json.loads((out / "results.json").read_text())
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert [s["step"] for s in res["steps"]] == list(gc.STEPS)
    assert all(s["status"] == "ok" for s in res["steps"]), [(s["step"], s["error"]) for s in res["steps"]]
    env = res["steps"][0]["details"]
    assert env["torch"] and env["packages"]["numpy"] and env["packages"]["gensim"]
    figs = {f["name"]: f for s in res["steps"] for f in s["figures"]}
    for s in (1, 4):
        assert figs[f"train_s{s}_words_per_s"]["value"] > 0
        for v in ("gru-fp32", "gru-bf16", "gru-fp16+scaler"):
            assert figs[f"train_s{s}_b32_{v}_words_per_s"]["value"] > 0
    assert figs["hubert_model_x_real_time"]["value"] > 0 and figs["hubert_featurize_corpus_x_real_time"]["value"] > 0
    cuda = next(s for s in res["steps"] if s["step"] == "cuda-tests")["details"]
    assert cuda["skipped"] + cuda["passed"] >= 5 and cuda["failures"] == 0  # the requires_cuda tests were selected
    quick = next(s for s in res["steps"] if s["step"] == "quick-tests")["details"]
    assert quick["passed"] > 0


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("bible")), reason="needs espeak-ng and bible-kjv")
def test_prepare_and_scale_run_tiny(tmp_path):
    data = tmp_path / "data"
    p = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "prepare", "--words", "300", "--out", str(data),
                        "--jobs", "1"], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert sorted(f.name for f in data.iterdir()) == ["corpus.txt", "reference.vec", "segments.tsv", "units.npz"]
    with np.load(data / "units.npz", allow_pickle=False) as z:
        assert int(z["k"]) == 100
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "scale", "--data", str(data), "--out", str(out),
                        "--device", "cpu", "--minutes", "2", "--epochs", "2", "--scale", "1"],
                       cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    summary = json.loads((out / "scale.json").read_text())
    assert summary["epochs_done"] == 2 and [r["epoch"] for r in summary["curve"]] == ["0", "1", "2"]
    assert all(r["A"] != "" for r in summary["curve"])
    assert (out / "scale-curves.png").stat().st_size > 0
    assert (out / "scale-evaluate.tsv").read_text().startswith("model\tA")
