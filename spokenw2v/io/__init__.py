"""Every file format of the pipeline, one module per family (each documented with a literal
example in docs/formats.md):

* :mod:`.files` -- file plumbing: ``-`` for standard input/output, atomic writes, UTF-8 text.
* :mod:`.header` -- the one version policy: every file's ``format``/``version`` header checked.
* :mod:`.npz` -- the NPZ container and its ``format``/``version`` keys, and the NPZ formats:
  features, units, codebook, token vectors.
* :mod:`.shards` -- the shard protocol of a features directory: file names, completeness.
* :mod:`.tables` -- TSV with a header row, text corpus, audio list, word vectors (.vec),
  evaluation test set, word-similarity pairs.
* :mod:`.segments` -- the :class:`Segments` model, the segments TSV and the word-units TSV.
* :mod:`.records` -- JSON records (run config, synthesis record, evaluation, noise report,
  demo record) with their ``format``/``version`` keys.

Every name is importable from the package itself (``from spokenw2v.io import read_segments``).
"""

from .files import (STDIO, all_or_nothing, atomic_path, atomic_write_text, check_readable_file, file_sha256, is_stdio,
                    open_text, os_error_text, output_of_temporary, printable, read_stdin_text, read_text, refuse_stdio_npz)
from .header import check_header
from .npz import (CODEBOOK_FORMAT, FEATURES_FORMAT, FORMAT_VERSION, REQUIRED_KEYS, TOKEN_VECTORS_FORMAT, UNITS_FORMAT,
                  Codebook, FrameInfo, Ragged, TokenVectors, Units, all_finite, check_shard, features_info,
                  iter_features, read_codebook, read_durations, read_features, read_token_vectors, read_units,
                  write_codebook, write_features, write_token_vectors, write_units)
from .shards import (check_shard_set, is_shard_entry, npz_files, part_done_name, part_name, part_prefix,
                     part_staging_prefix, shard_part)
from .records import (DEMO_FORMAT, EVALUATION_FORMAT, HEADERLESS_RECORD_VERSION, NOISE_REPORT_FORMAT, RECORD_KEYS,
                      RECORD_VERSION, RUN_CONFIG_FORMAT, SYNTHESIS_FORMAT, WORD_UNITS_REPORT_FORMAT, read_record, record_payload,
                      record_text, write_record)
from .segments import (Segments, WordUnits, read_segments, read_word_units, segment_order, segment_sentences,
                       sort_segments, validate_segments, write_segments, write_word_units)
from .tables import (TEST_SET_COLUMNS, TEST_SET_RELATIONS, TEST_SET_SPLITS, SimilarityPairs, TestSet, WordVectors,
                     read_audio_list, read_audio_speakers, read_corpus, read_speakers, read_similarity_pairs, read_test_set, read_tsv, read_vectors,
                     tokenize, write_audio_list, write_corpus, write_test_set, write_tsv, write_vectors)

__all__ = [
    "STDIO", "all_or_nothing", "atomic_path", "atomic_write_text", "check_readable_file", "file_sha256", "is_stdio", "open_text",
    "os_error_text", "output_of_temporary", "printable", "read_stdin_text", "read_text", "refuse_stdio_npz",
    "check_header",
    "CODEBOOK_FORMAT", "FEATURES_FORMAT", "FORMAT_VERSION", "REQUIRED_KEYS", "TOKEN_VECTORS_FORMAT", "UNITS_FORMAT",
    "Codebook", "FrameInfo", "Ragged", "TokenVectors", "Units", "all_finite", "check_shard", "check_shard_set",
    "features_info",
    "is_shard_entry", "iter_features", "npz_files", "part_done_name", "part_name", "part_prefix",
    "part_staging_prefix", "read_codebook", "read_durations", "read_features", "read_token_vectors", "read_units",
    "shard_part", "write_codebook", "write_features", "write_token_vectors", "write_units",
    "DEMO_FORMAT", "EVALUATION_FORMAT", "HEADERLESS_RECORD_VERSION", "NOISE_REPORT_FORMAT", "RECORD_KEYS",
    "RECORD_VERSION",
    "RUN_CONFIG_FORMAT", "SYNTHESIS_FORMAT", "WORD_UNITS_REPORT_FORMAT", "read_record", "record_payload", "record_text",
    "write_record",
    "Segments", "WordUnits", "read_segments", "read_word_units", "segment_order", "segment_sentences", "sort_segments",
    "validate_segments", "write_segments", "write_word_units",
    "TEST_SET_COLUMNS", "TEST_SET_RELATIONS", "TEST_SET_SPLITS", "SimilarityPairs", "TestSet", "WordVectors",
    "read_audio_list", "read_audio_speakers", "read_corpus", "read_speakers", "read_similarity_pairs", "read_test_set", "read_tsv", "read_vectors",
    "tokenize", "write_audio_list", "write_corpus", "write_test_set", "write_tsv", "write_vectors",
]
