#!/usr/bin/env bash
# Install everything spokenw2v needs on a fresh Debian machine (as root, or with sudo):
#   Debian packages: espeak-ng (speech synthesis), bible-kjv + bible-kjv-text (the demo text),
#                    make (examples/Makefile),
#                    python3-venv when this Python cannot make virtual environments;
#   a virtual environment .venv/ (it sees packages already installed system-wide) holding
#   PyTorch 2.11 with the matching torchaudio, and spokenw2v itself with its test extras.
# Afterwards: . .venv/bin/activate
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
APT_PACKAGES="espeak-ng bible-kjv bible-kjv-text make"
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
  python3 -m venv --system-site-packages .venv
fi
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${PIP[@]}" 'torch==2.11.*' 'torchaudio==2.11.*'
"${PIP[@]}" -e '.[test]'
echo "install.sh: done; activate with: . .venv/bin/activate" >&2
