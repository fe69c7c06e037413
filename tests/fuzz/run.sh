#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from its seed corpus. Usage: run.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?build dir}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
for t in native alertmanager webhook; do
  work=$(mktemp -d)
  cp "$here/corpus/$t/"* "$work/"
  echo "fuzz: ${t}_fuzz for ${seconds}s"
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/${t}-" "$work" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|invariant|SUMMARY" || true
  rm -rf "$work"
  if ls "$build/${t}-"crash-* >/dev/null 2>&1; then echo "fuzz: ${t}_fuzz found a crash"; exit 1; fi
done
echo "fuzz: no crashes"
