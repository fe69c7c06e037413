#!/usr/bin/env bash
# How squall's scores move when the storms move away from `squall storm`'s defaults: larger
# topologies, more nodes, three and five times the background noise (defaults: 3am 3, busy-hour
# 0.6, concurrent 1 episode per minute per cluster), twice the faults, one cluster. The
# engine settings stay the defaults; each row is the mean over SEEDS seeds. Prints Markdown
# (docs/EVAL.md's robustness table is made from it).
# Usage: tools/eval_robustness.sh SQUALL [SEEDS] [WORKDIR]
set -euo pipefail
squall=${1:?path to squall}
seeds=${2:-3}
work=${3:-build/eval-robustness}
mkdir -p "$work"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

row() {  # row NAME STORM-ARGS...   (a NAME ending in -no-topology replays without the topology file)
  local name=$1; shift
  local topo=(--topology)
  case $name in *-no-topology) topo=() ;; esac
  local f1=0 merges=0 frag=0 ac1=0 ac3=0 n=0
  for seed in $(seq 1 "$seeds"); do
    local dir=$work/$name-$seed
    [ -f "$dir/alerts.ndjson" ] || "$squall" storm --seed "$seed" --out "$dir" --quiet "$@" >/dev/null
    "$squall" replay "$dir/alerts.ndjson" ${topo[@]+"${topo[@]}" "$dir/topology.yaml"} --no-progress \
      --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" >/dev/null 2>&1
    local json
    json=$("$squall" eval "$dir" --assignments "$dir/assignments.tsv" --bundles "$dir/bundles.ndjson" --json)
    f1=$(awk -v a="$f1" -v b="$(echo "$json" | field bcubed_f1)" 'BEGIN { print a + b }')
    merges=$((merges + $(echo "$json" | field merges)))
    frag=$(awk -v a="$frag" -v b="$(echo "$json" | field fragments_per_fault)" 'BEGIN { print a + b }')
    ac1=$(awk -v a="$ac1" -v b="$(echo "$json" | field rca_ac1)" 'BEGIN { print a + (b == "null" ? 0 : b) }')
    ac3=$(awk -v a="$ac3" -v b="$(echo "$json" | field rca_ac3)" 'BEGIN { print a + (b == "null" ? 0 : b) }')
    n=$((n + 1))
  done
  awk -v name="$name" -v args="$*" -v n="$n" -v f1="$f1" -v m="$merges" -v fr="$frag" \
    -v a1="$ac1" -v a3="$ac3" 'BEGIN {
      printf "| %s | `%s` | %.3f | %d | %.2f | %.2f | %.2f |\n", name, args, f1 / n, m, fr / n, a1 / n, a3 / n }'
}

echo "| storm | \`squall storm\` options | B³-F1 | merges (total) | frag/fault | AC@1 | AC@3 |"
echo "|---|---|---|---|---|---|---|"
row 3am --scenario 3am
row 3am-noise-x3 --scenario 3am --noise 9
row 3am-400-services --scenario 3am --services 400
row busy-hour --scenario busy-hour
row busy-hour-400-services --scenario busy-hour --services 400
row busy-hour-noise-x3 --scenario busy-hour --noise 1.8
row busy-hour-noise-x5 --scenario busy-hour --noise 3
row busy-hour-12-faults --scenario busy-hour --faults 12
row busy-hour-1-cluster --scenario busy-hour --clusters 1
row concurrent --scenario concurrent
row concurrent-200-nodes --scenario concurrent --nodes 200
row concurrent-noise-x3 --scenario concurrent --noise 3
row 3am-no-topology --scenario 3am
row busy-hour-no-topology --scenario busy-hour
row concurrent-no-topology --scenario concurrent
