#!/usr/bin/env bash
# Upgrade the locked versions on purpose, never by accident.
#
#   bash tools/upgrade_check.sh            # check: build, test and report; the lock is left alone
#   bash tools/upgrade_check.sh --write    # the same, then replace requirements-lock.txt if all passed
#
# 1. Resolves the newest versions the registry serves for pyproject.toml's dependencies (and the
#    test extras), with torch and torchaudio unpinned, for every platform at once (uv's universal
#    resolution, sha256 hashes of every file).
# 2. Installs them into a scratch environment under $WORK (default: a new temporary folder) and
#    checks that torch and torchaudio load together (`spokenw2v doctor`).  When that newest pair
#    does not load, it resolves again with the locked torch/torchaudio pair and everything else
#    at its newest, and says so.
# 3. Runs the fast test lane and the tiny demo in that environment.
# 4. Prints every package whose version moved against requirements-lock.txt and a verdict.
#    With --write and a passing verdict, the new lock (and, if the pair moved, pyproject.toml's
#    torch/torchaudio pins) replace the old ones; commit them with the printed summary.
#
# Needs the registry (PyPI) and about 8 GB of disk for the CUDA build of torch; takes 10-20
# minutes on 2 cores.  The scratch environment is built with uv (pinned below, installed into
# the scratch folder); install.sh itself needs only pip.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WRITE=0
[ "${1:-}" = "--write" ] && WRITE=1
UV_VERSION=0.13.9
PYTHON_VERSION=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
WORK=${WORK:-$(mktemp -d -t spokenw2v-upgrade.XXXXXX)}
mkdir -p "$WORK"
export PIP_CONFIG_FILE=/dev/null   # the registry as users see it, not a machine's local pip settings
say() { echo "upgrade_check: $*" >&2; }

say "scratch folder $WORK"
python3 -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
UV="$WORK/tools/bin/uv"

# The requirements as pyproject.toml states them, with the torch/torchaudio pins replaced by
# $1 (empty: unpinned).
requirements_in() {
  python3 - "$REPO/pyproject.toml" "$1" > "$WORK/requirements.in" <<'EOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
pair = dict(item.split("==") for item in sys.argv[2].split()) if sys.argv[2] else {}
for req in project["dependencies"] + project["optional-dependencies"]["test"]:
    name = re.split(r"[=<>!~ ;\[]", req, maxsplit=1)[0]
    if name in ("torch", "torchaudio"):
        req = f"{name}=={pair[name]}" if name in pair else name
    print(req)
EOF
}

# Resolve requirements.in into $WORK/lock.txt, build the scratch environment, check the pair.
build() {
  "$UV" pip compile -q "$WORK/requirements.in" --universal --python-version "$PYTHON_VERSION" \
    --generate-hashes --no-header -o "$WORK/lock.body"
  { echo "# Every Python package that install.sh puts in .venv, at one tested version, with the sha256"
    echo "# of every file the registry serves for it.  Made by tools/upgrade_check.sh --write from"
    echo "# pyproject.toml; change it only through that script."
    sed "s|$WORK/requirements.in|pyproject.toml|" "$WORK/lock.body"; } > "$WORK/lock.txt"
  rm -rf "$WORK/venv"
  "$UV" venv -q --python python3 "$WORK/venv"
  "$UV" pip sync -q --python "$WORK/venv/bin/python" --require-hashes "$WORK/lock.txt"
  "$UV" pip install -q --python "$WORK/venv/bin/python" --no-deps --no-build-isolation -e "$REPO"
  "$WORK/venv/bin/spokenw2v" doctor --quiet
}

# pinned FILE NAME: the version a lock file gives NAME
pinned() { sed -n "s/^$2==\([^ ;\\]*\).*/\1/p" "$1" | head -1; }
LOCK="$REPO/requirements-lock.txt"
LOCKED_PAIR="torch==$(pinned "$LOCK" torch) torchaudio==$(pinned "$LOCK" torchaudio)"

requirements_in ""
PAIR_NOTE="the newest torch and torchaudio load together"
if ! build; then
  NEWEST=$(grep -E '^(torch|torchaudio)==' "$WORK/lock.txt" | sed 's/ .*//' | tr '\n' ' ')
  PAIR_NOTE="the newest pair ($NEWEST) does not load together; kept $LOCKED_PAIR"
  say "$PAIR_NOTE"
  requirements_in "$LOCKED_PAIR"
  build
fi

TESTS=pass
DEMO=pass
say "fast test lane in the scratch environment"
(cd "$REPO" && SPOKENW2V_UPGRADE_CHECK=1 OMP_WAIT_POLICY=PASSIVE "$WORK/venv/bin/python" -m pytest -q \
  -m "not slow" -p no:cacheprovider) >&2 || TESTS=FAIL
say "tiny demo in the scratch environment"
OMP_WAIT_POLICY=PASSIVE "$WORK/venv/bin/spokenw2v" demo "$WORK/demo" --words 600 --char-epochs 1 \
  --unit-epochs 1 --voices-epochs 1 --ae-epochs 1 --k 16 --jobs 1 --quiet >/dev/null || DEMO=FAIL

echo "packages whose version moved (old -> new):"
python3 - "$REPO/requirements-lock.txt" "$WORK/lock.txt" <<'EOF'
import re, sys
def versions(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)\s*(;[^\\]*)?", line)
        if m:
            out.setdefault(m.group(1).lower(), set()).add(m.group(2))
    return out
old, new = versions(sys.argv[1]), versions(sys.argv[2])
moved = 0
for name in sorted(old.keys() | new.keys()):
    a, b = ", ".join(sorted(old.get(name, {"-"}))), ", ".join(sorted(new.get(name, {"-"})))
    if a != b:
        moved += 1
        print(f"  {name:28} {a} -> {b}")
print(f"  ({moved} moved)")
EOF
echo "torch/torchaudio: $PAIR_NOTE"
echo "fast test lane: $TESTS; tiny demo: $DEMO"
if [ "$TESTS" = pass ] && [ "$DEMO" = pass ]; then
  echo "verdict: the new versions pass"
  if [ "$WRITE" = 1 ]; then
    cp "$WORK/lock.txt" "$REPO/requirements-lock.txt"
    for name in torch torchaudio; do
      version=$(pinned "$WORK/lock.txt" "$name")
      sed -i "s/\"$name==[^\"]*\"/\"$name==$version\"/" "$REPO/pyproject.toml"
    done
    echo "wrote requirements-lock.txt (and pyproject.toml's torch/torchaudio pins); run bash install.sh"
  fi
else
  echo "verdict: the new versions FAIL; requirements-lock.txt is unchanged"
  exit 1
fi
