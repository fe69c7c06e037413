#!/usr/bin/env bash
# Scores squall and the group_by baselines on every `squall storm` scenario over several seeds, with
# one set of engine settings, and prints Markdown: a summary per scenario and method, then every run
# (docs/EVAL.md is made from it).
# Usage: tools/eval_matrix.sh SQUALL [SEEDS] [WORKDIR]
set -euo pipefail
squall=${1:?path to squall}
seeds=${2:-5}
work=${3:-build/eval-matrix}
mkdir -p "$work"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
fmt() { case "$1" in null|"") echo "-";; *) printf "%.3f" "$1";; esac; }

{
echo "| scenario | seed | method | B³-F1 | B³-P | B³-R | merges | frag/fault | AC@1 | AC@3 | incidents (truth) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for scenario in 3am busy-hour concurrent firehose; do
  for seed in $(seq 1 "$seeds"); do
    dir=$work/$scenario-$seed
    extra=()
    [ "$scenario" = firehose ] && extra=(--alerts 20000)
    [ -f "$dir/alerts.ndjson" ] || "$squall" storm --scenario "$scenario" --seed "$seed" "${extra[@]}" --out "$dir" >/dev/null
    "$squall" replay "$dir/alerts.ndjson" --topology "$dir/topology.yaml" ${REPLAY_ARGS:-} \
      --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" >/dev/null 2>&1
    for method in squall "group_by=service" "group_by=alertname,service"; do
      if [ "$method" = squall ]; then
        json=$("$squall" eval "$dir" --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" --json)
      else
        json=$("$squall" eval "$dir" --baseline "$method" --json)
      fi
      row="| $scenario | $seed | $method"
      for k in bcubed_f1 bcubed_precision bcubed_recall; do row="$row | $(fmt "$(echo "$json" | field $k)")"; done
      row="$row | $(echo "$json" | field merges) | $(fmt "$(echo "$json" | field fragments_per_fault)")"
      for k in rca_ac1 rca_ac3; do row="$row | $(fmt "$(echo "$json" | field $k)")"; done
      row="$row | $(echo "$json" | field predicted_incidents) ($(echo "$json" | field truth_incidents)) |"
      echo "$row"
    done
  done
done
} > "$work/runs.md"

# Summary per (scenario, method): means over seeds, min B3-F1, total merges.
echo "| scenario | method | B³-F1 (mean, min) | B³-P | B³-R | merges (total) | frag/fault | AC@1 | AC@3 |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F'|' 'NR > 2 {
  for (i = 2; i <= 12; i++) gsub(/^ +| +$/, "", $i)
  k = $2 " | " $4
  if (!(k in n)) order[++m] = k
  n[k]++; f1[k] += $5; p[k] += $6; r[k] += $7; mg[k] += $8; fr[k] += $9
  if (!(k in mn) || $5 < mn[k]) mn[k] = $5
  if ($10 != "-") { a1[k] += $10; a3[k] += $11; na[k]++ }
}
END {
  for (j = 1; j <= m; j++) {
    k = order[j]
    ac1 = na[k] ? sprintf("%.3f", a1[k] / na[k]) : "-"
    ac3 = na[k] ? sprintf("%.3f", a3[k] / na[k]) : "-"
    printf "| %s | %.3f, %.3f | %.3f | %.3f | %d | %.3f | %s | %s |\n", k, f1[k] / n[k], mn[k], p[k] / n[k], r[k] / n[k], mg[k], fr[k] / n[k], ac1, ac3
  }
}' "$work/runs.md"
echo
echo "## All runs"
echo
cat "$work/runs.md"
