"""Tables and text: the generic TSV (header row), the text corpus, the audio list, word
vectors (word2vec text format), the evaluation test set and word-similarity pairs.

* **Text corpus** -- one utterance per line; :func:`tokenize` defines the tokens.
* **Audio list TSV** -- ``utt  path``.
* **Word vectors** -- word2vec text format (``gensim.models.KeyedVectors.load_word2vec_format``).
* **Test set TSV** -- ``# key=value`` provenance lines, then ``word1 word2 relation freq1
  freq2 split``.
* **Similarity pairs** -- ``word1  word2  score`` (WordSim353, SimLex-999).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import SpokenW2VError, where
from .files import atomic_path, atomic_write_text, open_text, printable

# --------------------------------------------------------------------------- text corpus

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(line: str) -> list[str]:
    """Tokens of one line: lower-cased runs of letters/digits; inner apostrophes kept.

    All other punctuation is a separator.  ``"Don't, STOP!"`` -> ``["don't", "stop"]``.
    """
    return _TOKEN_RE.findall(line.lower())


def read_corpus(path: str | os.PathLike) -> list[list[str]]:
    """Read a text corpus (one utterance per line) as token lists; empty lines dropped."""
    path = Path(path)
    with open_text(path, what="text corpus (UTF-8, one utterance per line)") as fh:
        sentences = [toks for toks in (tokenize(line) for line in fh) if toks]
    if not sentences:
        raise SpokenW2VError(f"{path}: the corpus has no words")
    return sentences


def write_corpus(path: str | os.PathLike, sentences: Iterable[Sequence[str]]) -> None:
    """Write token lists as a text corpus, one utterance per line, atomically (``-``: stdout)."""
    atomic_write_text(path, "".join(" ".join(s) + "\n" for s in sentences))


# --------------------------------------------------------------------------- generic TSV


def read_tsv(path: str | os.PathLike, required: Sequence[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read a TSV with a header row; return (header, [(line_number, row_dict), ...]).

    Raises a one-line error when the file is missing, empty, lacks a required column or
    a row has the wrong number of fields.  Blank lines and lines starting with ``#`` are
    skipped.  ``-`` reads standard input.
    """
    path = Path(path)
    rows: list[tuple[int, dict]] = []
    header: list[str] | None = None
    with open_text(path, newline="", what=f"tab-separated file with a header row ({', '.join(required)})") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = [f.strip() for f in fields]
                repeated = sorted({c for c in header if header.count(c) > 1})
                if repeated:
                    raise SpokenW2VError(f"{where(path, lineno)}: header repeats column(s) {', '.join(repeated)}")
                missing = [c for c in required if c not in header]
                if missing:
                    raise SpokenW2VError(
                        f"{where(path, lineno)}: header lacks column(s) {', '.join(missing)} "
                        f"(expected a tab-separated header with {', '.join(required)})"
                    )
                continue
            if len(fields) != len(header):
                raise SpokenW2VError(
                    f"{where(path, lineno)}: expected {len(header)} tab-separated fields, found {len(fields)}"
                )
            rows.append((lineno, dict(zip(header, fields))))
    if header is None:
        raise SpokenW2VError(f"{path}: empty file (expected a header row with {', '.join(required)})")
    return header, rows


def write_tsv(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a TSV with a header row atomically (``-``: standard output).  Floats are written
    with ``repr``-like precision."""

    def cell_text(value) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.6g}" if not math.isfinite(value) else _trimmed_decimal(float(value))
        return printable(str(value))

    with atomic_path(path, stdout=True) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(printable("\t".join(header)) + "\n")
            for row in rows:
                fh.write("\t".join(cell_text(v) for v in row) + "\n")


def _trimmed_decimal(value: float) -> str:
    """A finite float with at most six decimals, trailing zeros dropped (``0.25``, ``3``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --------------------------------------------------------------------------- audio list


def read_audio_list(path: str | os.PathLike) -> dict[str, Path]:
    """Read an audio list TSV (``utt  path``, other columns such as ``speaker`` ignored);
    relative paths are relative to the TSV."""
    path = Path(path)
    _, rows = read_tsv(path, ["utt", "path"])
    out: dict[str, Path] = {}
    for lineno, row in rows:
        if row["utt"] in out:
            raise SpokenW2VError(f"{where(path, lineno)}: duplicate utterance id {row['utt']!r}")
        if not row["path"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty audio path (utterance {row['utt']!r})")
        p = Path(row["path"])
        out[row["utt"]] = p if p.is_absolute() else path.parent / p
    if not out:
        raise SpokenW2VError(f"{path}: no audio files listed")
    return out


def read_audio_speakers(path: str | os.PathLike) -> dict[str, str] | None:
    """The optional ``speaker`` column of an audio list TSV (utterance id -> speaker), or None
    when the list has no such column.  An empty speaker is a one-line error."""
    path = Path(path)
    header, rows = read_tsv(path, ["utt", "path"])
    if "speaker" not in header:
        return None
    return _speaker_column(path, rows)


def read_speakers(path: str | os.PathLike) -> dict[str, str]:
    """Utterance id -> speaker from a TSV with ``utt`` and ``speaker`` columns (an audio list
    with its speaker column, or a two-column speakers file); an empty speaker, a repeated
    utterance or no row at all is a one-line error."""
    path = Path(path)
    _, rows = read_tsv(path, ["utt", "speaker"])
    out = _speaker_column(path, rows)
    if not out:
        raise SpokenW2VError(f"{path}: no utterances listed")
    return out


def _speaker_column(path: Path, rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lineno, row in rows:
        spk = row["speaker"].strip()
        if not spk:
            raise SpokenW2VError(f"{where(path, lineno)}: empty speaker (utterance {row['utt']!r})")
        if row["utt"] in out:
            raise SpokenW2VError(f"{where(path, lineno)}: duplicate utterance id {row['utt']!r}")
        out[row["utt"]] = spk
    return out


def write_audio_list(path: str | os.PathLike, items: dict[str, str | os.PathLike],
                     speakers: dict[str, str] | None = None) -> None:
    """An audio list TSV (``utt path``, and ``speaker`` when ``speakers`` is given)."""
    if speakers is None:
        write_tsv(path, ["utt", "path"], ([u, str(p)] for u, p in items.items()))
    else:
        write_tsv(path, ["utt", "path", "speaker"], ([u, str(p), speakers[u]] for u, p in items.items()))


# --------------------------------------------------------------------------- word vectors


@dataclass
class WordVectors:
    """Word vectors: ``vectors[i]`` (D,) float32 belongs to ``words[i]``."""

    words: list[str]
    vectors: np.ndarray  # (V, D) float32

    def __post_init__(self):
        self._index = {w: i for i, w in enumerate(self.words)}

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        return self._index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def write_vectors(path: str | os.PathLike, wv: WordVectors) -> None:
    """Write word2vec text format (``V D`` header, then ``word v1 ... vD``) atomically."""
    if any((not w) or any(ch.isspace() for ch in w) for w in wv.words):
        raise SpokenW2VError(f"{path}: words must be non-empty and contain no whitespace")
    with atomic_path(path, stdout=True) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{len(wv.words)} {wv.dim}\n")
            for w, v in zip(wv.words, wv.vectors):
                fh.write(w + " " + " ".join(f"{x:.6g}" for x in v.tolist()) + "\n")


def read_vectors(path: str | os.PathLike) -> WordVectors:
    """Read word2vec text format with strict checks (header, row widths, duplicates, NaN);
    ``-`` reads standard input."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: dict[str, int] = {}
    with open_text(path, newline="", what="word2vec text file") as fh:
        header = fh.readline()
        parts = header.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise SpokenW2VError(f"{where(path, 1)}: expected a word2vec header 'COUNT DIM', found {header.strip()[:40]!r}")
        count, dim = int(parts[0]), int(parts[1])
        for lineno, line in enumerate(fh, start=2):
            fields = line.rstrip("\r\n").rstrip(" ").split(" ")
            if fields == [""]:
                continue
            if len(fields) != dim + 1:
                raise SpokenW2VError(f"{where(path, lineno)}: expected a word and {dim} numbers, found {len(fields) - 1} numbers")
            w = fields[0]
            if w in seen:
                raise SpokenW2VError(f"{where(path, lineno)}: duplicate word {w!r} (first on line {seen[w]})")
            try:
                v = np.asarray(fields[1:], dtype=np.float32)
            except ValueError:
                raise SpokenW2VError(f"{where(path, lineno)}: non-numeric vector value") from None
            if not np.all(np.isfinite(v)):
                raise SpokenW2VError(f"{where(path, lineno)}: non-finite vector value")
            seen[w] = lineno
            words.append(w)
            rows.append(v)
    if len(words) != count:
        raise SpokenW2VError(f"{path}: header promises {count} words, file has {len(words)} (truncated?)")
    if count == 0:
        raise SpokenW2VError(f"{path}: no vectors")
    return WordVectors(words, np.stack(rows).astype(np.float32))


# --------------------------------------------------------------------------- evaluation test set

TEST_SET_RELATIONS = ("semantic", "orthographic", "random")
#: Halves of the test words: ``dev`` for choices (best checkpoint, settings), ``test`` for reports.
TEST_SET_SPLITS = ("dev", "test")
TEST_SET_COLUMNS = ["word1", "word2", "relation", "freq1", "freq2", "split"]


@dataclass
class TestSet:
    """Word pairs of the paper's evaluation protocol (see ``evaluate.build_test_set``).

    ``word1``, ``word2`` and ``relation`` are parallel lists of length P (one entry per
    pair); ``word1`` is the test word, ``relation`` is ``semantic``, ``orthographic`` or
    ``random``.  ``freq1``/``freq2`` (P,) are the corpus token counts of the two words (the
    corpus the test set was drawn from) and ``split`` (P,) the half of the pair's test word,
    ``dev`` or ``test``; empty lists when not known (a test set built by hand in code).
    ``seed`` is the seed that drew the test words (-1 when not recorded) and ``params`` the
    other construction settings, both written as ``# key=value`` lines.
    """

    __test__ = False  # not a pytest test class

    word1: list[str]
    word2: list[str]
    relation: list[str]
    seed: int = -1
    params: dict[str, str] = field(default_factory=dict)
    freq1: list[int] = field(default_factory=list)
    freq2: list[int] = field(default_factory=list)
    split: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.word1)

    def test_words(self) -> list[str]:
        """Distinct test words (``word1``) in order of first appearance."""
        return list(dict.fromkeys(self.word1))


def write_test_set(path: str | os.PathLike, ts: TestSet) -> None:
    """Write a test-set TSV atomically: ``# key=value`` provenance lines (seed first),
    then the header ``word1  word2  relation  freq1  freq2  split`` and one row per pair."""
    n = len(ts)
    if len(ts.freq1) != n or len(ts.freq2) != n or len(ts.split) != n:
        raise SpokenW2VError(f"{path}: a test set is saved with the corpus frequencies and the dev/test split "
                             f"of every pair (draw it with evaluate.build_test_set)")
    lines = ["# spokenw2v test set", f"# seed={ts.seed}"]
    lines += [f"# {k}={v}" for k, v in ts.params.items() if k != "seed"]
    lines.append("\t".join(TEST_SET_COLUMNS))
    lines += [f"{a}\t{b}\t{r}\t{f1}\t{f2}\t{sp}"
              for a, b, r, f1, f2, sp in zip(ts.word1, ts.word2, ts.relation, ts.freq1, ts.freq2, ts.split)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_test_set(path: str | os.PathLike) -> TestSet:
    """Read a test-set TSV written by :func:`write_test_set` (or by hand: the ``#`` lines
    are optional).  Raises a one-line error naming the file and line when it does not parse,
    and one saying how to regenerate the file when it lacks the frequency and split columns
    (test sets saved by earlier versions)."""
    path = Path(path)
    header, rows = read_tsv(path, ["word1", "word2", "relation"])
    missing = [c for c in TEST_SET_COLUMNS if c not in header]
    if missing:
        raise SpokenW2VError(
            f"{path}: test set without the column(s) {', '.join(missing)} (saved by an older spokenw2v, which "
            f"kept no corpus frequencies or dev/test split); regenerate it: spokenw2v evaluate MODEL.vec "
            f"--reference REF.vec --corpus CORPUS --seed SEED --save-test-set {path.name}")
    params: dict[str, str] = {}
    with open_text(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            key, sep, value = line[1:].strip().partition("=")
            if sep and key.strip() and " " not in key.strip():
                params[key.strip()] = value.strip()
    w1, w2, rel, f1, f2, split = [], [], [], [], [], []
    for lineno, row in rows:
        a, b, r = row["word1"].strip(), row["word2"].strip(), row["relation"].strip()
        if not a or not b:
            raise SpokenW2VError(f"{where(path, lineno)}: empty word in a test pair")
        if r not in TEST_SET_RELATIONS:
            raise SpokenW2VError(
                f"{where(path, lineno)}: relation must be one of {', '.join(TEST_SET_RELATIONS)}, found {r!r}"
            )
        counts = []
        for col in ("freq1", "freq2"):
            text = row[col].strip()
            if not text.isdigit() or int(text) < 1:
                raise SpokenW2VError(f"{where(path, lineno)}: {col} must be a corpus count >= 1, found {text!r}")
            counts.append(int(text))
        sp = row["split"].strip()
        if sp not in TEST_SET_SPLITS:
            raise SpokenW2VError(
                f"{where(path, lineno)}: split must be one of {', '.join(TEST_SET_SPLITS)}, found {sp!r}")
        w1.append(a)
        w2.append(b)
        rel.append(r)
        f1.append(counts[0])
        f2.append(counts[1])
        split.append(sp)
    if not w1:
        raise SpokenW2VError(f"{path}: the test set has no pairs (only a header)")
    seed_text = params.pop("seed", "-1")
    try:
        seed = int(seed_text)
    except ValueError:
        raise SpokenW2VError(f"{path}: '# seed=' must be an integer, found {seed_text!r}") from None
    return TestSet(w1, w2, rel, seed, params, f1, f2, split)


# --------------------------------------------------------------------------- word-similarity pairs


@dataclass
class SimilarityPairs:
    """A word-similarity benchmark: human ``score`` (P,) float64 for pairs ``word1``/``word2``."""

    name: str
    word1: list[str]
    word2: list[str]
    score: np.ndarray  # (P,) float64, higher = more similar


def read_similarity_pairs(path: str | os.PathLike, name: str | None = None) -> SimilarityPairs:
    """Read ``word1  word2  score`` (tab-separated; extra columns ignored).

    Blank lines and ``#`` lines are skipped; a first row whose score is not a number is a
    header.  This reads gensim's bundled ``wordsim353.tsv`` and ``simlex999.txt``.
    """
    path = Path(path)
    w1: list[str] = []
    w2: list[str] = []
    scores: list[float] = []
    first = True
    with open_text(path, what="word-similarity file (word1 word2 score)") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                raise SpokenW2VError(
                    f"{where(path, lineno)}: expected tab-separated 'word1 word2 score', found {len(fields)} field(s)"
                )
            try:
                score = float(fields[2])
            except ValueError:
                if first:
                    first = False
                    continue
                raise SpokenW2VError(f"{where(path, lineno)}: score must be a number, found {fields[2]!r}") from None
            first = False
            if not math.isfinite(score) or not fields[0].strip() or not fields[1].strip():
                raise SpokenW2VError(f"{where(path, lineno)}: empty word or non-finite score")
            w1.append(fields[0].strip())
            w2.append(fields[1].strip())
            scores.append(score)
    if not w1:
        raise SpokenW2VError(f"{path}: no word pairs (expected tab-separated 'word1 word2 score' rows)")
    return SimilarityPairs(name or Path(path).stem, w1, w2, np.asarray(scores, dtype=np.float64))
