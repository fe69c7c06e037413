#!/usr/bin/env bash
# Load and overload of `squall serve` (issue: serve, §4). Everything on this machine, loopback only.
#
#   perf/serve_load.sh [SQUALL] [ALERTS]
#
#   1. TCP: a firehose storm of ALERTS alerts (default 1,000,000) sent unpaced over one connection
#      (`squall storm --send tcp://`); rate = alerts correlated / time from the first byte to the
#      last alert taken by the correlator. Unpaced is overload: the sender is slowed by TCP
#      backpressure (serve stops reading while its pipeline is full: squall_tcp_backpressure_waits).
#   2. UDP: the same alerts as datagrams of packed lines, unpaced; datagrams/s received, drops
#      counted by reason (queue_full: pipeline full; kernel: receive buffer overflow).
#   3. HTTP, Alertmanager v2 API, wrk: batches of 100 and of 1 alert per request, p50/p99 latency;
#      then the same load against Alertmanager 0.25 (Debian), side by side.
#   4. Overload check at the end: serve drains on SIGTERM and reports alerts accepted and
#      correlated: they must be equal (nothing accepted is lost).
# Prints one line per measurement; perf/RESULTS.md records them with the machine.
set -euo pipefail
squall=${1:-build/release/tools/squall/squall}
alerts=${2:-1000000}
duration=${DURATION:-8s}
work=$(mktemp -d /tmp/squall-load-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
nproc_=$(nproc)
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

metric() {  # metric HTTP_ADDR SERIES
  curl -s "http://$1/metrics" | awk -v s="$2" '$1 == s { print $2 }'
}

start_serve() {  # start_serve NAME [extra args...] -> sets serve_pid, http, tcp, udp
  local name=$1; shift
  rm -rf "$work/$name"
  "$squall" serve --http 127.0.0.1:0 --tcp 127.0.0.1:0 --udp 127.0.0.1:0 --data "$work/$name" \
    --drafting-workers 0 "$@" 2> "$work/$name.log" &
  serve_pid=$!
  for _ in $(seq 1 400); do [ -s "$work/$name/serve.json" ] && break; sleep 0.05; done
  http=$(sed -n 's/.*"http":"\([^"]*\)".*/\1/p' "$work/$name/serve.json")
  tcp=$(sed -n 's/.*"tcp":"\([^"]*\)".*/\1/p' "$work/$name/serve.json")
  udp=$(sed -n 's/.*"udp":"\([^"]*\)".*/\1/p' "$work/$name/serve.json")
}

stop_serve() {  # prints serve's final accounting line (not in a pipeline: it waits for serve)
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
  grep "stopped:" "$work/$1.log" | sed 's/^squall serve: /   /'
}

wait_correlated() {  # wait_correlated HTTP N: until the correlators took N inputs
  for _ in $(seq 1 6000); do
    [ "$(metric "$1" squall_alerts_correlated_total)" = "$2" ] && return 0
    sleep 0.01
  done
  return 1
}

echo "== storm: firehose, $alerts alerts"
"$squall" storm --scenario firehose --seed 11 --alerts "$alerts" --out "$work/storm" --quiet
lines=$(wc -l < "$work/storm/alerts.ndjson")
bytes=$(stat -c %s "$work/storm/alerts.ndjson")
echo "   $lines lines, $((bytes / lines)) B/line"

if [ -z "${ONLY_HTTP:-}" ]; then
echo "== 1. TCP NDJSON, one connection, unpaced (overload: backpressure slows the sender)"
start_serve tcp --topology "$work/storm/topology.yaml"
t0=$(date +%s.%N)
"$squall" storm --send "tcp://$tcp" --from "$work/storm/alerts.ndjson" > "$work/tcp.send"
wait_correlated "$http" "$lines"
t1=$(date +%s.%N)
waits=$(metric "$http" squall_tcp_backpressure_waits_total)
bundles=$(metric "$http" squall_bundles_total)
awk -v n="$lines" -v a="$t0" -v b="$t1" -v w="$waits" -v bu="$bundles" 'BEGIN {
  printf "TCP: %d alerts correlated in %.2f s = %.0f alerts/s; backpressure waits %s; bundles %s\n",
    n, b - a, n / (b - a), w, bu }'
sed 's/^/   sender: /' "$work/tcp.send"
stop_serve tcp

echo "== 2. UDP datagrams (lines packed up to 1400 B), unpaced"
start_serve udp
t0=$(date +%s.%N)
"$squall" storm --send "udp://$udp" --from "$work/storm/alerts.ndjson" > "$work/udp.send" || true
sleep 0.5
t1=$(date +%s.%N)
dgrams=$(metric "$http" 'squall_received_units_total{listener="udp"}')
acc=$(metric "$http" 'squall_alerts_received_total{listener="udp"}')
qf=$(metric "$http" 'squall_alerts_dropped_total{listener="udp",reason="queue_full"}')
kern=$(metric "$http" 'squall_alerts_dropped_total{listener="udp",reason="kernel"}')
awk -v d="$dgrams" -v acc="$acc" -v qf="$qf" -v k="$kern" -v n="$lines" -v a="$t0" -v b="$t1" 'BEGIN {
  printf "UDP: %d datagrams received in %.2f s = %.0f datagrams/s; alerts accepted %d of %d sent; dropped: queue_full %d alerts, kernel %d datagrams\n",
    d, b - a, d / (b - a), acc, n, qf, k }'
sed 's/^/   sender: /' "$work/udp.send"
stop_serve udp

fi
echo "== 3. HTTP POST /api/v2/alerts (wrk, $duration, 2 threads, 8 connections)"
# Bodies: 100 distinct alerts (and 1), as Prometheus sends them; repeats after the first request.
body100=$work/body100.json
{
  printf '['
  for i in $(seq 1 100); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"labels":{"alertname":"HighErrorRate","service":"svc-%d","namespace":"prod","severity":"warning","instance":"10.0.%d.%d:9100"},"annotations":{"summary":"5xx ratio high on svc-%d"},"startsAt":"2026-11-24T03:00:00Z","generatorURL":"http://prometheus/graph"}' "$i" "$((i / 250))" "$((i % 250))" "$i"
  done
  printf ']'
} > "$body100"
body1=$work/body1.json
printf '[{"labels":{"alertname":"HighErrorRate","service":"svc-1","namespace":"prod","severity":"warning"},"annotations":{"summary":"5xx ratio high"},"startsAt":"2026-11-24T03:00:00Z"}]' > "$body1"
lua=$(dirname "$0")/wrk_post.lua

run_wrk() {  # run_wrk LABEL ADDR BODY BATCH
  local out
  out=$(BODY_FILE=$3 wrk -t2 -c8 -d"$duration" --latency -s "$lua" "http://$2" 2>&1 | grep RESULT)
  echo "$out" | awk -v l="$1" -v b="$4" '{
    split($2, r, "="); split($3, p50, "="); split($4, p99, "=");
    printf "%s: %.0f alerts/s accepted (%s accepted requests/s x %d), p50 %s ms, p99 %s ms; %s %s %s\n",
      l, r[2] * b, r[2], b, p50[2], p99[2], $5, $6, $7 }'
}

start_serve http
run_wrk "squall   batch 100" "$http" "$body100" 100 | tee "$work/sq100"
run_wrk "squall   batch 1  " "$http" "$body1" 1 | tee "$work/sq1"
stop_serve http

am=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
if [ -x "$am" ]; then
  port=$(( (RANDOM % 20000) + 30000 ))
  printf 'route: {receiver: none}\nreceivers: [{name: none}]\n' > "$work/am.yml"
  "$am" --config.file="$work/am.yml" --storage.path="$work/am" \
    --web.listen-address=127.0.0.1:$port --cluster.listen-address= 2> "$work/am.log" &
  am_pid=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.05; done
  run_wrk "alertmgr batch 100" "127.0.0.1:$port" "$body100" 100 | tee "$work/am100"
  run_wrk "alertmgr batch 1  " "127.0.0.1:$port" "$body1" 1 | tee "$work/am1"
  kill "$am_pid"; wait "$am_pid" 2>/dev/null || true
  for b in 100 1; do
    s=$(awk '{ sub(/:$/, "", $0); for (i = 1; i <= NF; i++) if ($i == "alerts/s") print $(i - 1) }' "$work/sq$b" | head -1)
    a=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "alerts/s") print $(i - 1) }' "$work/am$b" | head -1)
    awk -v b="$b" -v s="$s" -v a="$a" 'BEGIN { if (a > 0) printf "ratio squall / alertmanager, batch %s: %.1fx\n", b, s / a }'
  done
else
  echo "alertmanager not installed: no side-by-side"
fi
