"""The software stack spokenw2v runs on: its versions (for bug reports) and whether its
compiled dependencies load.

torch and torchaudio ship compiled libraries built against each other; a torchaudio release
built for a newer torch fails to load (``undefined symbol``) beside an older one.  Every path
that loads them can call :func:`check_stack` to turn such a failure into one line naming both
versions and the repair, instead of a traceback from deep inside an import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import SpokenW2VError

#: The command that puts back the tested versions (run in the spokenw2v checkout).
REPAIR = "bash install.sh (in the spokenw2v checkout: it reinstalls the tested versions of requirements-lock.txt)"

#: The lock file of a checkout: every Python package at its tested version.
LOCK_FILE = Path(__file__).resolve().parent.parent / "requirements-lock.txt"


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (from its metadata, without importing it), or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _import(name: str, *submodules: str):
    module = importlib.import_module(name)
    for sub in submodules:
        importlib.import_module(f"{name}.{sub}")
    return module


def check_stack() -> None:
    """Load torch and torchaudio (with the parts spokenw2v uses); raise a one-line
    :class:`SpokenW2VError` naming both versions and the repair when either cannot load."""
    torch_v = installed_version("torch") or "(not installed)"
    audio_v = installed_version("torchaudio") or "(not installed)"
    try:
        _import("torch")
    except (ImportError, OSError) as exc:
        raise SpokenW2VError(f"torch {torch_v} cannot be loaded ({_first_line(exc)}); "
                             f"repair the environment with: {REPAIR}") from None
    try:
        _import("torchaudio", "functional", "transforms")
    except (ImportError, OSError, RuntimeError) as exc:
        raise SpokenW2VError(f"torchaudio {audio_v} does not load with torch {torch_v} ({_first_line(exc)}); "
                             f"this pair does not work together: repair the environment with: {REPAIR}") from None


def stack_error() -> str | None:
    """The one-line message of :func:`check_stack`, or None when the stack loads."""
    try:
        check_stack()
    except SpokenW2VError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class LockDifference:
    """A package whose installed version is not the one in the lock (``installed`` None: missing)."""

    name: str
    locked: str
    installed: str | None


def lock_differences(lock: Path = LOCK_FILE) -> list[LockDifference] | None:
    """Packages of ``lock`` (a pip requirements file of ``name==version ; marker`` lines) whose
    installed version differs, for this interpreter's platform; None when there is no lock
    (spokenw2v installed from a package rather than a checkout)."""
    if not lock.is_file():
        return None
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    out = []
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-") or "==" not in line:
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, locked = (part.strip() for part in requirement.partition("=="))
        installed = installed_version(name)
        # a local build tag (torch 2.11.0+cu130) is the same release as the lock's 2.11.0
        if installed is None or Version(installed).public != Version(locked).public:
            out.append(LockDifference(str(canonicalize_name(name)), locked, installed))
    return out


def _espeak_version() -> str:
    from .espeak import espeak

    try:
        return espeak().version or "(unknown version)"
    except SpokenW2VError:
        return "not installed (Debian: apt-get install espeak-ng; needed by synthesize and demo only)"


def _engine_voices(name: str, packages: str) -> str:
    """The voices of the speech engine ``name`` (``festival`` or ``flite``), or why there are none
    (``packages``: the Debian packages to install)."""
    from .festival import Festival
    from .flite import Flite

    try:
        engine = {"festival": Festival, "flite": Flite}[name]()
    except SpokenW2VError:
        return f"not installed (Debian: apt-get install {packages}; needed by synthesize --engine {name} only)"
    try:
        return "voices: " + (", ".join(sorted(engine.voices())) or "none")
    except SpokenW2VError:
        return "does not start"
    finally:
        engine.close()


def _cuda() -> str:
    import torch

    built = f"CUDA build {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
    if not torch.cuda.is_available():
        return f"no GPU available ({built})"
    names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    return f"{torch.cuda.device_count()} GPU(s): {names} ({built})"


def report() -> list[tuple[str, str]]:
    """(name, value) rows describing this installation, for ``spokenw2v doctor`` and bug reports.
    Does not raise: a part that cannot load is reported as such."""
    rows = [("spokenw2v", __version__),
            ("python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"),
            ("platform", f"{platform.system()} {platform.release()} {platform.machine()}")]
    for name in ("torch", "torchaudio", "numpy", "scipy", "gensim", "transformers", "soundfile"):
        rows.append((name, installed_version(name) or "not installed"))
    problem = stack_error()
    rows.append(("torch + torchaudio", "load together" if problem is None else "BROKEN"))
    rows.append(("cuda", _cuda() if problem is None else "unknown (torch does not load)"))
    rows.append(("espeak-ng", _espeak_version()))
    rows.append(("festival", _engine_voices("festival", "festival festvox-kallpc16k")))
    rows.append(("flite", _engine_voices("flite", "flite")))
    differences = lock_differences()
    if differences is None:
        rows.append(("lock", "no requirements-lock.txt (installed from a package)"))
    elif not differences:
        rows.append(("lock", f"every package as in {LOCK_FILE.name}"))
    else:
        shown = ", ".join(f"{d.name} {d.installed or 'missing'} (lock {d.locked})" for d in differences[:8])
        more = f" and {len(differences) - 8} more" if len(differences) > 8 else ""
        rows.append(("lock", f"{len(differences)} package(s) differ from {LOCK_FILE.name}: {shown}{more}"))
    return rows
