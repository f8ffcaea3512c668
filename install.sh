#!/usr/bin/env bash
# Install everything spokenw2v needs on a fresh Debian machine (as root, or with sudo):
#   Debian packages: espeak-ng (speech synthesis), bible-kjv + bible-kjv-text (the demo text),
#                    make (examples/Makefile), festival + festvox-kallpc16k + festvox-kdlpc16k +
#                    festvox-us-slt-hts (synthesize --engine festival: a second engine, three voices),
#                    flite (synthesize --engine flite: a third engine, its voices awb, rms, slt, kal),
#                    python3-venv when this Python cannot make virtual environments;
#   a virtual environment .venv/ holding exactly the Python packages of requirements-lock.txt
#   (every package, direct and transitive, at one tested version, checked against its hashes),
#   then spokenw2v itself (editable), then `spokenw2v doctor` to prove that the stack loads.
# The lock is changed only through tools/upgrade_check.sh.  Afterwards: . .venv/bin/activate
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
APT_PACKAGES="espeak-ng bible-kjv bible-kjv-text make festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts flite"
python3 -c "import ensurepip, venv" 2>/dev/null || APT_PACKAGES="$APT_PACKAGES python3-venv"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install.sh: installing Debian packages:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# --require-hashes: every file must match the lock's sha256; --no-deps: nothing the lock does not name.
"${PIP[@]}" --require-hashes --no-deps -r requirements-lock.txt
# spokenw2v itself, built with the locked setuptools (no build environment fetched from the registry).
"${PIP[@]}" --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check --disable-pip-version-check >/dev/null
.venv/bin/spokenw2v doctor --quiet
echo "install.sh: done; activate with: . .venv/bin/activate" >&2
