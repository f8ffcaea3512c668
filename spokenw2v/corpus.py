"""Corpora as sentences: a corpus file read as lists of words (:func:`corpus_sentences`), and the
embedded demo text, the King James Version of the Bible as shipped by Debian.

The demo text comes from the Debian package ``bible-kjv-text`` (the compressed file
``/usr/lib/bible.data``) and is read with the ``bible`` program of the package
``bible-kjv``; nothing is downloaded.  The King James Version (1611) is in the public
domain (outside the United Kingdom, where the Crown's letters patent still apply); see
the licence section of docs/commands.md for what the Debian copyright file says.

One verse is one utterance.  :func:`demo_corpus` returns the first verses, from a
starting reference on, until a requested number of words (as :func:`spokenw2v.io.tokenize`
counts them) is reached.  The lines keep their capitals and punctuation (the
synthesizer uses punctuation for longer pauses); every later stage tokenizes them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import SpokenW2VError
from .io import is_stdio, read_corpus, read_segments, read_text, tokenize


def corpus_sentences(path: Path) -> list[list[str]]:
    """Sentences of a text corpus (one utterance per line, :func:`spokenw2v.io.tokenize`) or of a
    segments TSV (``.tsv``: the ``word`` column as it is, one sentence per utterance).  Standard
    input (``-``) is a segments TSV when its first line is a header with utt, start, end and word."""
    path = Path(path)
    if path.suffix.lower() == ".tsv" or (is_stdio(path) and _segments_header(read_text(path))):
        seg = read_segments(path, require_words=True)
        return [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()]
    return read_corpus(path)


def _segments_header(text: str) -> bool:
    """True when the first line of ``text`` that is neither blank nor a ``#`` comment is a
    tab-separated header with the columns utt, start, end and word."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return {"utt", "start", "end", "word"} <= {f.strip() for f in line.split("\t")}
    return False


#: The Debian packages that provide the demo text and the program that reads it.
BIBLE_PACKAGES = "bible-kjv bible-kjv-text"
_INSTALL_HINT = f"install them with: sudo apt-get install {BIBLE_PACKAGES}"

#: ``bible -f`` prints one verse per line as ``REF text`` (``Ge1:1 In the beginning ...``).
_VERSE_RE = re.compile(r"^(?P<ref>\S*\d+:\d+)\s+(?P<text>.*\S)\s*$")
_WHOLE_BIBLE = "Gen1:1-Rev22:21"


@dataclass(frozen=True)
class Verse:
    """One verse: its reference as ``bible`` prints it (``Ge1:1``) and its text."""

    ref: str
    text: str


def read_bible(program: str = "bible") -> list[Verse]:
    """All 31,102 verses of the King James Version, in canonical order.

    Runs ``bible -f Gen1:1-Rev22:21`` (``-f`` turns pretty-printing off: one verse per
    line, preceded by its reference).  Raises :class:`SpokenW2VError` naming the Debian
    packages when the program or its data file is missing.
    """
    exe = shutil.which(program)
    if exe is None:
        raise SpokenW2VError(
            f"the demo text needs the '{program}' program and the King James Version text "
            f"(Debian packages {BIBLE_PACKAGES}); {_INSTALL_HINT}"
        )
    try:
        proc = subprocess.run([exe, "-f", _WHOLE_BIBLE], capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpokenW2VError(f"{exe}: could not read the King James Version text ({exc}); {_INSTALL_HINT}") from None
    text = proc.stdout.decode("utf-8", errors="replace")
    verses = []
    for line in text.splitlines():
        m = _VERSE_RE.match(line)
        if m:
            verses.append(Verse(m["ref"], " ".join(m["text"].split())))
    if proc.returncode != 0 or len(verses) < 1000:
        detail = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        why = detail[0] if detail else f"exit status {proc.returncode}, {len(verses)} verses"
        raise SpokenW2VError(
            f"{exe}: could not read the King James Version text ({why}); the data file "
            f"/usr/lib/bible.data comes with the Debian package bible-kjv-text; {_INSTALL_HINT}"
        )
    return verses


def demo_corpus(n_words: int = 30000, start: str = "Ge1:1", verses: list[Verse] | None = None) -> list[str]:
    """The demo corpus: consecutive verses from ``start`` on, one verse per line.

    Stops after the first verse that brings the token count to at least ``n_words``
    (so the result has ``n_words`` words plus at most one verse).  Deterministic: the
    same arguments always give the same lines.  ``start`` is a reference as ``bible``
    prints it (``Ge1:1``, ``Mat1:1``, ``John3:16``); ``verses`` defaults to
    :func:`read_bible`.  When the whole text is shorter than ``n_words`` (about 790,000
    words) all verses from ``start`` on are returned.
    """
    if n_words <= 0:
        raise SpokenW2VError(f"the demo corpus needs a positive number of words, not {n_words}")
    verses = read_bible() if verses is None else verses
    refs = [v.ref.lower() for v in verses]
    try:
        first = refs.index(start.lower())
    except ValueError:
        raise SpokenW2VError(
            f"demo corpus: no verse {start!r} (references look like {verses[0].ref}, Mat1:1, John3:16)"
        ) from None
    lines: list[str] = []
    count = 0
    for verse in verses[first:]:
        tokens = tokenize(verse.text)
        if not tokens:
            continue
        lines.append(verse.text)
        count += len(tokens)
        if count >= n_words:
            break
    return lines
