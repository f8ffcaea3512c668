"""JSON records: a train run's ``config.json``, a synthesized corpus's ``synthesis.json``,
``evaluate --json``, the noise commands' ``--report`` and ``word-units --report``.

Each is one JSON object whose first two keys are ``format`` (which record it is) and
``version`` (of that record's layout), as the NPZ files carry them, under the version policy
of :mod:`.header`.  Files written before records were versioned have neither key and are read
as version 1; a version newer than :data:`RECORD_VERSION` is refused with one line, never
misread.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import SpokenW2VError
from .files import atomic_write_text
from .header import check_header

RUN_CONFIG_FORMAT = "spokenw2v-run-config"
SYNTHESIS_FORMAT = "spokenw2v-synthesis"
EVALUATION_FORMAT = "spokenw2v-evaluation"
NOISE_REPORT_FORMAT = "spokenw2v-noise-report"
WORD_UNITS_REPORT_FORMAT = "spokenw2v-word-units-report"
#: The name reserved for the demo's ``demo.json``.
DEMO_FORMAT = "spokenw2v-demo"
#: The layout version every record is written with (and the newest one read).
RECORD_VERSION = 1
#: The version of a record written before records carried a header (either key missing).
HEADERLESS_RECORD_VERSION = 1
#: The keys of a record's header, written first.
RECORD_KEYS = ("format", "version")


def record_text(fmt: str, payload: dict) -> str:
    """The JSON text of a record: ``format`` and ``version`` first, then ``payload`` (which
    must not hold those keys), indented by two spaces, with a final newline."""
    clash = [key for key in RECORD_KEYS if key in payload]
    if clash:
        raise ValueError(f"a {fmt} record's payload may not hold {', '.join(clash)}")
    return json.dumps({"format": fmt, "version": RECORD_VERSION, **payload}, indent=2) + "\n"


def write_record(path: str | os.PathLike, fmt: str, payload: dict) -> None:
    """Write a record atomically (``-`` writes it to standard output)."""
    atomic_write_text(path, record_text(fmt, payload))


def record_payload(doc: object, fmt: str, source: str | os.PathLike) -> dict:
    """The payload of a parsed record (its header removed) after checking the header
    (:func:`.header.check_header`): a missing header is an older file of the same layout
    (version 1); another ``format`` or a ``version`` newer than :data:`RECORD_VERSION` is a
    one-line error naming ``source``."""
    if not isinstance(doc, dict):
        raise SpokenW2VError(f"{source}: expected a JSON object ({fmt}), found {type(doc).__name__}")
    check_header(source, doc.get("format"), doc.get("version"), fmt, RECORD_VERSION, kind="record",
                 headerless=HEADERLESS_RECORD_VERSION)
    return {key: value for key, value in doc.items() if key not in RECORD_KEYS}


def read_record(path: str | os.PathLike, fmt: str) -> dict:
    """The payload of the record in ``path`` (see :func:`record_payload`); a file that is not
    UTF-8 JSON is a one-line error."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpokenW2VError(f"{path}: not a readable JSON file ({exc})") from None
    return record_payload(doc, fmt, path)
