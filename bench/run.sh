#!/usr/bin/env bash
# Parse throughput on a firehose storm corpus, beside the simdjson ceiling, and the ratios.
# Usage: bench/run.sh BUILD_DIR [ALERTS]   (run by `make bench`; records nothing by itself)
set -euo pipefail
build=${1:-build/release}
alerts=${2:-200000}
corpus_dir=$build/bench-corpus
if [ ! -f "$corpus_dir/alerts.ndjson" ]; then
  "$build/tools/squall/squall" storm --scenario firehose --seed 7 --alerts "$alerts" --out "$corpus_dir" >/dev/null
fi
out=$build/parse_bench.json
SQUALL_BENCH_CORPUS=$corpus_dir/alerts.ndjson "$build/bench/parse_bench" \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json
echo
echo "ratio of squall's parser to the simdjson ceiling (median items/s, same run):"
for f in Native Alertmanager Webhook; do
  ours=$(grep -A20 "\"BM_Parse${f}_median\"" "$out" | grep -m1 items_per_second | tr -dc '0-9.e+')
  ceil=$(grep -A20 "\"BM_Ceiling${f}_median\"" "$out" | grep -m1 items_per_second | tr -dc '0-9.e+')
  awk -v f="$f" -v o="$ours" -v c="$ceil" 'BEGIN { printf "  %-13s %6.2f M/s vs %6.2f M/s = %4.0f%%\n", f, o/1e6, c/1e6, 100*o/c }'
done
