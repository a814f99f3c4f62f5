#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the quickstart need.
# A no-op (no apt-get call at all) when everything is already installed.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (design card: RocksDB C API, libevent, protobuf-c, OpenSSL, zstd; plus lz4,
  # libyaml for server.yaml, jansson for JSON, cmocka for unit tests, CRoaring for the rbm32
  # aggregate)
  librocksdb-dev libevent-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev libzstd-dev
  liblz4-dev libyaml-dev libjansson-dev libcmocka-dev libsnappy-dev zlib1g-dev libroaring-dev
  # the interop suite: real Fluss Java client from Maven Central
  openjdk-17-jdk-headless maven
  # benchmarks (bench/run.sh kv): RocksDB's own db_bench, the limit the KV figures are set against
  rocksdb-tools
  # scripts
  python3 procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
