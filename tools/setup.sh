#!/usr/bin/env bash
# Installs every Debian package squall's build, tests, fuzzers and benchmarks need.
# Idempotent and non-interactive; quick (a dpkg query) when everything is present.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev clang-format
  libboost-dev libsimdjson-dev libjemalloc-dev libconcurrentqueue-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev
  libyaml-cpp-dev libcurl4-openssl-dev libssl-dev libxxhash-dev libsqlite3-dev libexpected-dev
  prometheus-alertmanager prometheus curl wrk time
  python3  # tools/eval/chaos_storm.py (the independent storm generator; not needed to build or test)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts packaged daemons on install; tests start their own on free ports.
for daemon in prometheus-alertmanager prometheus prometheus-node-exporter; do
  if [[ " ${missing[*]} " == *" prometheus "* || " ${missing[*]} " == *" $daemon "* ]]; then
    $SUDO systemctl stop "$daemon" 2>/dev/null || $SUDO service "$daemon" stop 2>/dev/null || true
  fi
done
echo "setup: done" >&2
