#!/usr/bin/env bash
# Creates (or updates) .venv with tests/requirements.txt and prints its python path.
# A no-op apart from printing when the requirements are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.venv"
REQ="$PWD/tests/requirements.txt"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >/dev/null 2>&1 || {
    # Debian's system python needs python3-venv
    if [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$VENV"
  }
fi
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ" >&2
  echo "$want" >"$STAMP"
fi
echo "$VENV/bin/python"
