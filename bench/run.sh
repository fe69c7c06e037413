#!/usr/bin/env bash
# Parse throughput on a firehose storm corpus beside the simdjson ceiling (and the ratios), then the
# correlator's cost per alert as active alerts grow.
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
  num() { grep -A20 "\"$1\"" "$out" | grep -m1 '"items_per_second"' | sed 's/.*: *\([0-9.e+-]*\).*/\1/'; }
  ceil=$(num "BM_Ceiling${f}_median")
  for cache in 1 0; do
    ours=$(num "BM_Parse${f}/cache:${cache}_median")
    awk -v f="$f" -v k="$cache" -v o="$ours" -v c="$ceil" 'BEGIN { printf "  %-13s label cache %-3s %6.2f M/s vs ceiling %6.2f M/s = %4.0f%%\n", f, (k ? "on" : "off"), o/1e6, c/1e6, 100*o/c }'
  done
done

echo
echo "correlator cost per alert as active alerts grow (bench/engine/correlate/correlate_bench.cc):"
"$build/bench/correlate_bench" --benchmark_out="$build/correlate_bench.json" --benchmark_out_format=json

echo
echo "drafting: evidence drafts/s and the drafting queue's round trip per bundle (bench/drafting):"
"$build/bench/drafting_bench" --benchmark_out="$build/drafting_bench.json" --benchmark_out_format=json
