"""The one version policy of every file spokenw2v writes (NPZ files, JSON records, torch files).

* Every file carries a ``format`` (which kind of file it is) and a ``version`` (of that kind's
  layout, a whole number from 1).
* A reader accepts every version from the oldest it knows to the newest (the one it writes).
* A newer version is refused with one line naming the file and saying to use the spokenw2v
  that wrote it; it is never misread.
* A file without the header is read as the kind's original layout where files without one
  were ever written (JSON records before they were versioned: version 1); for every other
  kind a missing header is an error.

When a kind's layout changes, its version goes up and its reader keeps reading the older
layouts (or raises ``oldest``, so that they are refused with one line).
:func:`check_header` applies the policy; the readers of :mod:`.npz`, :mod:`.records` and
:mod:`spokenw2v.checkpoints` call it with the values they found.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ..errors import SpokenW2VError


def readable_versions(oldest: int, newest: int) -> str:
    """``version 1`` or ``versions 1 to 3``: what a reader accepts, for its messages."""
    return f"version {newest}" if oldest == newest else f"versions {oldest} to {newest}"


def check_header(source: Union[str, os.PathLike], found_format: object, found_version: object,
                 expected_format: Union[str, Sequence[str]], newest: int, oldest: int = 1, kind: str = "file",
                 headerless: Optional[int] = None, origin: str = "") -> tuple[str, int]:
    """(format, version) of a file after checking its header against the policy of the module
    docstring; otherwise a one-line :class:`SpokenW2VError` naming ``source``.

    ``found_format``/``found_version`` are the header's values (None where the file has no such
    key); ``expected_format`` the accepted format name (or names); a version in
    ``oldest..newest`` is read.  ``headerless`` is the version a file without the key has (None:
    files of this kind always carried it, so its absence is an error).  ``kind`` names the file
    in the messages ("file", "record"), ``origin`` where such files come from
    (e.g. " (an encoder from `spokenw2v cae`)")."""
    formats = (expected_format,) if isinstance(expected_format, str) else tuple(expected_format)
    if found_format is None and headerless is not None:
        found_format = formats[0]
    if found_format not in formats:
        found = "no format key" if found_format in (None, "") else str(found_format)
        raise SpokenW2VError(f"{source}: expected a {' or '.join(formats)} {kind}{origin}, found {found}")
    fmt = str(found_format)
    version = headerless if found_version is None else found_version
    accepted = readable_versions(oldest, newest)
    if version is None:
        raise SpokenW2VError(f"{source}: {fmt} {kind} without a version key (this spokenw2v reads {accepted})")
    if not isinstance(version, int) or isinstance(version, bool) or version < oldest:
        raise SpokenW2VError(f"{source}: {fmt} version {version!r} is not supported (this spokenw2v reads "
                             f"{accepted})")
    if version > newest:
        raise SpokenW2VError(f"{source}: {fmt} version {version} is newer than this spokenw2v reads ({accepted}); "
                             f"use the spokenw2v that wrote it")
    return fmt, version
