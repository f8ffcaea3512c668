"""Word alignments -> word segments (:class:`spokenw2v.io.Segments`).

Three input formats are understood; silences and other non-word labels are dropped, every
other word token becomes one segment ``[start, end)`` in seconds:

* **librispeech** -- the "librispeech-alignments" files (``*.alignment.txt``), one line
  per utterance::

      84-121123-0000 ",GO,,DO,YOU,HEAR," "0.490,0.890,1.270,1.380,1.490,1.890,2.09"

  The quoted lists hold one entry per interval: a word (empty = silence) and the
  interval's **end** time.  Each interval starts where the previous one ended; the
  first starts at 0.  So ``GO`` above is ``[0.49, 0.89)`` and ``DO`` is ``[1.27, 1.38)``.
  The real files end without a newline and carry a space after the closing quote.
* **textgrid** -- Praat TextGrid files (long "ooTextFile" or short text format, UTF-8,
  UTF-16 or ``--encoding``) as written by the Montreal Forced Aligner, FAVE/P2FA, WebMAUS
  and Praat itself.  The word tier is chosen by :attr:`ReadOptions.tiers`, a list of names
  or ``*`` patterns tried in order (default ``words``, ``word``, ``* - words``,
  ``* - word``, ``ORT-MAU``, ``ORT``, ``wrd``): the first pattern that matches an interval
  tier wins, and every interval tier it matches is read.  One tier gives utterance ``FILE``
  (the file name without ``.TextGrid``); several (one per speaker, e.g. MFA's
  ``SPEAKER - words``) give one utterance ``FILE-SPEAKER`` each.
* **ctm** -- ``utt channel start duration word [confidence [type [speaker ...]]]`` lines
  (start and duration in seconds; fields after the fifth are ignored); ``;;`` lines are
  comments; sclite alternation blocks (``<ALT_BEGIN>`` ... ``<ALT>`` ... ``<ALT_END>``)
  keep their first alternative.  When an utterance has several channels (A and B of one
  conversation), every utterance of that file is named ``UTT-CHANNEL``.

Dropped labels (:attr:`ReadOptions.drop`, compared case-insensitively, ``*`` = any
text): the empty label always, by default ``sil``, ``sp``, ``spn``, ``!sil``, ``<unk>``,
``<eps>``, ``<*>`` and ``[*]`` (marks such as ``<noise>``, ``<p:>`` or ``[noise]``).  Zero-duration CTM words are
dropped; overlaps of consecutive words up to :attr:`ReadOptions.overlap_tolerance`
seconds (rounding in 2-decimal files) are trimmed by ending the earlier word where the
next starts.  Everything dropped, trimmed or renamed is counted in a :class:`ReadReport`.
"""

from .common import (DEFAULT_DROP, DEFAULT_OPTIONS, DEFAULT_OVERLAP_TOLERANCE, DEFAULT_TIERS, FORMAT_NAMES,
                     FORMAT_SUFFIXES, AlignmentFormat, ReadOptions, ReadReport, Token, UttId, keep_label, wildcard)
from .ctm import ALT_MARKS, parse_ctm
from .librispeech import LIBRI_LINE, parse_librispeech
from .read import alignment_files, detect_format, read_alignment_file, read_alignments, tokens_to_segments
from .textgrid import parse_textgrid

__all__ = [
    "ALT_MARKS", "DEFAULT_DROP", "DEFAULT_OPTIONS", "DEFAULT_OVERLAP_TOLERANCE", "DEFAULT_TIERS", "FORMAT_NAMES",
    "FORMAT_SUFFIXES", "LIBRI_LINE", "AlignmentFormat", "ReadOptions", "ReadReport", "Token", "UttId",
    "alignment_files", "detect_format", "keep_label", "parse_ctm", "parse_librispeech", "parse_textgrid",
    "read_alignment_file", "read_alignments", "tokens_to_segments", "wildcard",
]
