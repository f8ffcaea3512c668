"""A held-out corpus of another genre: quotations, jokes and literature from Debian's fortunes.

Reads the fortune files of the Debian package ``fortunes`` (``apt-get install fortunes``;
the files are in /usr/share/games/fortunes/, entries separated by ``%`` lines) and prints one
fortune per line, whitespace collapsed and terminal overstriking (``_\\bX``) removed, until the
token count (as :func:`spokenw2v.io.tokenize` counts it) reaches the requested number of words.
Files are read in the order given, fortunes in file order, so the output is deterministic.
The offensive set (the package ``fortunes-off``, in the ``off/`` subfolder) is never read.

    python3 bench/fortunes_corpus.py [--words 30000] [FILE ...] > fortunes.txt

The default files are ``humorists literature love wisdom`` (quotations, literature, aphorisms).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from spokenw2v.io import tokenize

FORTUNE_DIR = Path("/usr/share/games/fortunes")
DEFAULT_FILES = ("humorists", "literature", "love", "wisdom")
_OVERSTRIKE = re.compile(r"[^\x08]\x08")


def fortunes(path: Path) -> list[str]:
    """The fortunes of one file, each on one line (whitespace collapsed, overstriking removed)."""
    text = path.read_text(encoding="utf-8")
    while "\x08" in text:  # "___\b\b\bABC" and "A\bA" both print as "ABC" / "A"
        text, n = _OVERSTRIKE.subn("", text)
        if n == 0:
            text = text.replace("\x08", "")
    entries = re.split(r"^%[ \t]*$", text, flags=re.MULTILINE)
    return [line for line in (" ".join(e.split()) for e in entries) if line]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=30000, help="stop after the fortune that reaches this many tokens")
    ap.add_argument("files", nargs="*", default=list(DEFAULT_FILES), help="fortune files (names in %s)" % FORTUNE_DIR)
    args = ap.parse_args(argv)
    n = 0
    out = []
    for name in args.files:
        path = Path(name) if "/" in name else FORTUNE_DIR / name
        if "off" in path.parts[:-1] or not path.is_file():
            print(f"Error: {path}: not a (non-offensive) fortune file; apt-get install fortunes", file=sys.stderr)
            return 1
        for line in fortunes(path):
            out.append(line)
            n += len(tokenize(line))
            if n >= args.words:
                break
        if n >= args.words:
            break
    sys.stdout.write("".join(line + "\n" for line in out))
    print(f"{len(out)} fortunes, {n} words, files: {' '.join(args.files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
