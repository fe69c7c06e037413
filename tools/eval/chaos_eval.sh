#!/usr/bin/env bash
# How squall scores on storms it has never seen: storms from tools/eval/chaos_storm.py, a generator
# written independently of `squall storm` and of the engine (from docs/DESIGN.md's formats only),
# with its own topologies (boutique, sockshop, trainticket, random layered DAGs), fault model, alert
# vocabulary and label habits. For each profile and seeds 1..SEEDS it generates the storm (kept if
# already there), replays it with the engine's default settings and scores it with `squall eval`.
# Each row is the mean over SEEDS seeds (merges: the total); AC@k is the mean over the storms where
# eval reports it. Rows ending in -no-topology replay the same storms without the topology file.
# Prints Markdown.
# Usage: tools/eval/chaos_eval.sh SQUALL [SEEDS] [WORKDIR]   (defaults: 5, build/chaos-eval)
set -euo pipefail
squall=${1:?path to squall}
seeds=${2:-5}
work=${3:-build/chaos-eval}
gen=$(dirname "$0")/chaos_storm.py
mkdir -p "$work"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }

row() {  # row NAME PROFILE   (a NAME ending in -no-topology replays without the topology file)
  local name=$1 profile=$2
  local topo=(--topology)
  case $name in *-no-topology) topo=() ;; esac
  local f1=0 merges=0 frag=0 ac1=0 ac3=0 nrca=0 n=0 alerts=0 faults=0
  for seed in $(seq 1 "$seeds"); do
    local dir=$work/$name-$seed
    [ -f "$dir/alerts.ndjson" ] || python3 "$gen" --profile "$profile" --seed "$seed" --out "$dir" --quiet
    "$squall" replay "$dir/alerts.ndjson" ${topo[@]+"${topo[@]}" "$dir/topology.yaml"} --no-progress \
      --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" >/dev/null 2>&1
    local json a1 a3
    json=$("$squall" eval "$dir" --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" --json)
    echo "$json" >"$dir/eval.json"
    f1=$(add "$f1" "$(echo "$json" | field bcubed_f1)")
    merges=$((merges + $(echo "$json" | field merges)))
    frag=$(add "$frag" "$(echo "$json" | field fragments_per_fault)")
    faults=$((faults + $(echo "$json" | field truth_faults)))
    alerts=$((alerts + $(echo "$json" | field alerts)))
    a1=$(echo "$json" | field rca_ac1)
    a3=$(echo "$json" | field rca_ac3)
    if [ -n "$a1" ] && [ "$a1" != null ]; then
      ac1=$(add "$ac1" "$a1")
      ac3=$(add "$ac3" "$([ "$a3" = null ] && echo 0 || echo "$a3")")
      nrca=$((nrca + 1))
    fi
    n=$((n + 1))
  done
  awk -v name="$name" -v n="$n" -v al="$alerts" -v fa="$faults" -v f1="$f1" -v m="$merges" -v fr="$frag" \
    -v a1="$ac1" -v a3="$ac3" -v k="$nrca" 'BEGIN {
      rca = k ? sprintf("%.2f | %.2f", a1 / k, a3 / k) : "– | –"
      printf "| %s | %d | %.0f | %.1f | %.3f | %d | %.2f | %s |\n", name, n, al / n, fa / n, f1 / n, m, fr / n, rca }'
}

echo "| storm | seeds | alerts (mean) | faults (mean) | B³-F1 | merges (total) | frag/fault | AC@1 | AC@3 |"
echo "|---|---|---|---|---|---|---|---|---|"
for profile in boutique sockshop trainticket random mixed; do
  row "$profile" "$profile"
done
row boutique-no-topology boutique
row random-no-topology random
