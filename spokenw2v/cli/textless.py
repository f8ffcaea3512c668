"""``spokenw2v label-vectors``: word vectors for evaluation from the token vectors of a model
trained without word labels (each token takes the gold word it overlaps most)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..io import read_segments, read_token_vectors, write_vectors
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio, shown


@app.command("label-vectors")
@guarded
def label_vectors_command(
    token_vectors: Path = typer.Argument(..., help="Token vectors NPZ (train --token-vectors) of a speech model."),
    gold: Path = typer.Option(..., "--gold", help="Gold word segments TSV (utt start end word) of the same "
                                                  "utterances; - for standard input."),
    out: Path = typer.Option(..., "--out", "-o", help="Word vectors (.vec, word2vec text format) for "
                                                      "`spokenw2v evaluate`; - for standard output."),
    quiet: bool = QuietOption,
) -> None:
    """Average token vectors by the gold word each token overlaps most, for evaluation.

    The scoring route of a model trained with label-free word types (train --types sequences
    or clusters): its tokens' own labels are not read; each token takes the gold word it
    overlaps most (the rule of label-segments), tokens overlapping no gold word are left out,
    and a word's vector is the mean over its tokens.
    """
    from ..textless import gold_word_vectors

    log = Log(quiet)
    refuse_stdio(token_vectors, "TOKEN_VECTORS", "NPZ files are binary zip archives, read by seeking")
    check_stdio({"--gold": gold}, {"--out": out})
    check_paths([token_vectors, gold], [out])
    tv = read_token_vectors(token_vectors)
    result = gold_word_vectors(tv, read_segments(gold, require_words=True), source=f"{token_vectors} and {gold}")
    write_vectors(out, result.vectors)
    log(f"{result.tokens} tokens: {result.tokens - result.no_word} took the gold word they overlap most, "
        f"{result.no_word} overlapped none (left out)")
    log(f"Wrote {shown(out)}: {len(result.vectors)} word vectors (median {result.median_tokens_per_word} tokens "
        f"per word).")
