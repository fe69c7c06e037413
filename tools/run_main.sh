#!/usr/bin/env bash
# `make run`: the main job on embedded defaults. Generates the 3am storm (one big fault plus noise,
# about 200 alerts in 4 minutes), correlates it with `squall replay`, and scores the result against
# the storm's ground truth beside the Alertmanager-style group_by baselines.
set -euo pipefail
squall=${1:?path to squall}
dir=${2:-build/run}
seed=${SEED:-1}
storm=$dir/3am-seed$seed
mkdir -p "$dir"
echo "== squall storm --scenario 3am --seed $seed --out $storm"
"$squall" storm --scenario 3am --seed "$seed" --out "$storm"
echo
echo "== squall replay $storm/alerts.ndjson --topology $storm/topology.yaml"
"$squall" replay "$storm/alerts.ndjson" --topology "$storm/topology.yaml" --no-progress \
  --assignments "$storm/assignments.tsv" --bundles "$storm/bundles.ndjson"
echo
echo "== the top incident's bundle (what a drafter and a human read), first 1200 bytes:"
top=$(sed -n 's/.*"incident":"\([^"]*\)".*"alerts_total":\([0-9]*\).*/\2 \1/p' "$storm/bundles.ndjson" | sort -rn | head -1 | cut -d' ' -f2)
grep "\"incident\":\"$top\"" "$storm/bundles.ndjson" | tail -1 | cut -c1-1200
echo
echo
echo "== how right was it? squall eval $storm --assignments ... --bundles ..."
"$squall" eval "$storm" --assignments "$storm/assignments.tsv" --bundles "$storm/bundles.ndjson"
echo
echo "== the same storm grouped the Alertmanager way (B-cubed F1, merges, fragments per fault):"
for g in alertname service "alertname,service" cluster; do
  "$squall" eval "$storm" --baseline "group_by=$g" --json |
    sed -n 's/.*"bcubed_f1":\([^,]*\).*"merges":\([^,]*\),"fragments_per_fault":\([^,]*\).*/\1 \2 \3/p' |
    awk -v g="$g" '{ printf "  group_by=%-20s B3-F1 %.3f  merges %s  fragments/fault %.2f\n", g, $1, $2, $3 }'
done
