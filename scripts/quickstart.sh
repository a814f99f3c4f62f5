#!/usr/bin/env bash
# README command 1: install what is missing, build, start the local cluster on port 9123.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
FL_PYTHON="" scripts/build.sh release >/dev/null
scripts/local-cluster.sh start
