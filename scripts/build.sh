#!/usr/bin/env bash
# Builds fl-server. Usage: scripts/build.sh [release|asan]   (default: release)
#   release -> build/        (RelWithDebInfo)
#   asan    -> build-asan/   (Debug, AddressSanitizer + UndefinedBehaviorSanitizer)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_SANITIZE=OFF) ;;
  asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
# FL_PYTHON unset: make/refresh .venv for the reader checks; set (even empty): use as given.
if [ -z "${FL_PYTHON+x}" ]; then py=$(scripts/python-env.sh); else py="$FL_PYTHON"; fi
cmake -S . -B "$dir" -G Ninja "${args[@]}" -DFL_PYTHON="$py" \
  -DFL_MAVEN="$(command -v mvn || true)" >/dev/null
ninja -C "$dir" >/dev/null
echo "$dir"
