#!/usr/bin/env bash
# Install everything spokenw2v needs on a fresh Debian machine (run as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if ! command -v espeak-ng >/dev/null || [ ! -e /usr/share/bible-kjv/kjv.txt ] && ! ls /usr/share/doc/bible-kjv-text >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq espeak-ng bible-kjv-text >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check 'torch==2.11.*' 'torchaudio==2.11.*'
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
