#!/usr/bin/env bash
# `make run`: the main job, end to end, on embedded defaults.
#   1. `squall storm` writes the 3am storm (one big fault plus noise, ~200 alerts in 4 minutes).
#   2. `squall serve` starts on loopback (defaults otherwise; the storm's topology file), with its
#      pool of draft workers (the deterministic evidence drafter: no network).
#   3. `squall storm --send` posts the storm to serve's Alertmanager-compatible HTTP API.
#   4. serve is stopped with SIGTERM: it drains, closes the incidents, stores their final bundles
#      and drafts, and exits 0.
#   5. `squall report` prints what a person needs: N alerts → K incidents, each with its draft.
#   6. How right was it: the same storm replayed and scored against its ground truth, beside the
#      Alertmanager-style group_by baselines.
set -euo pipefail
squall=${1:?path to squall}
dir=${2:-build/run}
seed=${SEED:-1}
storm=$dir/3am-seed$seed
data=$dir/serve-data
mkdir -p "$dir"
rm -rf "$data"

echo "== squall storm --scenario 3am --seed $seed --out $storm"
"$squall" storm --scenario 3am --seed "$seed" --out "$storm" --quiet
alerts=$(wc -l < "$storm/alerts.ndjson")
echo "   $alerts alerts and change events, ground truth in $storm/truth.tsv"
echo

echo "== squall serve (loopback, free ports, data in $data)"
"$squall" serve --http 127.0.0.1:0 --tcp 127.0.0.1:0 --udp 127.0.0.1:0 --data "$data" \
  --topology "$storm/topology.yaml" 2> "$dir/serve.log" &
serve_pid=$!
trap 'kill -TERM $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  [ -s "$data/serve.json" ] && break
  kill -0 $serve_pid 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
  sleep 0.05
done
http=$(sed -n 's/.*"http":"\([^"]*\)".*/\1/p' "$data/serve.json")
sed -n '1p' "$dir/serve.log" | sed 's/^/   /'
echo

echo "== squall storm --send http://$http --from $storm/alerts.ndjson"
"$squall" storm --send "http://$http" --from "$storm/alerts.ndjson" | sed 's/^/   /'
# Everything accepted reaches the correlator before we stop (nothing accepted is lost anyway).
for _ in $(seq 1 200); do
  m=$(curl -s "http://$http/metrics" || true)
  recv=$(echo "$m" | sed -n 's/^squall_alerts_received_total{listener="http"} //p')
  corr=$(echo "$m" | sed -n 's/^squall_alerts_correlated_total //p')
  [ -n "$recv" ] && [ "$recv" = "$corr" ] && break
  sleep 0.05
done
echo

echo "== SIGTERM: serve drains, closes the incidents, stores the final bundles and drafts"
kill -TERM $serve_pid
wait $serve_pid
trap - EXIT
tail -n 2 "$dir/serve.log" | sed 's/^/   /'
echo

echo "== squall report --data $data"
"$squall" report --data "$data" --top 5
echo

echo "== how right was it? the same storm replayed (squall replay) and scored (squall eval):"
"$squall" replay "$storm/alerts.ndjson" --topology "$storm/topology.yaml" --no-progress \
  --assignments "$storm/assignments.tsv" --bundles "$storm/bundles.ndjson" > /dev/null
"$squall" eval "$storm" --assignments "$storm/assignments.tsv" --bundles "$storm/bundles.ndjson"
echo
echo "== the same storm grouped the Alertmanager way (B-cubed F1, merges, fragments per fault):"
for g in alertname service "alertname,service" cluster; do
  "$squall" eval "$storm" --baseline "group_by=$g" --json |
    sed -n 's/.*"bcubed_f1":\([^,]*\).*"merges":\([^,]*\),"fragments_per_fault":\([^,]*\).*/\1 \2 \3/p' |
    awk -v g="$g" '{ printf "  group_by=%-20s B3-F1 %.3f  merges %s  fragments/fault %.2f\n", g, $1, $2, $3 }'
done
