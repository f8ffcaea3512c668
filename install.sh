#!/usr/bin/env bash
# Install everything spokenw2v needs on a fresh Debian machine (as root, or with sudo).
#   system packages: espeak-ng (speech synthesis), bible-kjv + bible-kjv-text (the demo text)
#   Python packages: torch/torchaudio 2.11 (matching builds) and spokenw2v with its test extras
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
APT_PACKAGES="espeak-ng bible-kjv bible-kjv-text"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install.sh: installing Debian packages:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check 'torch==2.11.*' 'torchaudio==2.11.*'
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
