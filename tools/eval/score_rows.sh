# Shared by tools/eval/chaos_eval.sh and tools/eval/fi_eval.sh (sourced, not run): one Markdown
# row per storm family. `score_row NAME TOPOLOGY ARGS...` replays the storms $work/NAME-<seed> for
# seeds 1..$seeds with $squall (a missing one is made by `python3 $gen ARGS... --seed SEED --out DIR
# --quiet`), with the storm's
# topology file when TOPOLOGY is "yes", scores each with `squall eval --json` (kept as eval.json)
# and prints the means over seeds (merges: the total; AC@k: the mean over the storms where eval
# reports it).
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }

score_row() {
  local name=$1 use_topology=$2
  shift 2
  local f1=0 merges=0 frag=0 ac1=0 ac3=0 nrca=0 n=0 alerts=0 faults=0
  for seed in $(seq 1 "$seeds"); do
    local dir=$work/$name-$seed
    [ -f "$dir/alerts.ndjson" ] || python3 "$gen" "$@" --seed "$seed" --out "$dir" --quiet
    local topo=()
    [ "$use_topology" = yes ] && topo=(--topology "$dir/topology.yaml")
    "$squall" replay "$dir/alerts.ndjson" ${topo[@]+"${topo[@]}"} --no-progress \
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
