#!/usr/bin/env bash
# Bytes of RSS per active alert: `squall replay` of N distinct alerts that all stay active (one
# fingerprint each, 500 services x 3 clusters, 2,000 nodes, one pod per alert, 40 alertnames, spread
# over 5 minutes, none resolved), Max RSS from /usr/bin/time -v, minus the same run's RSS at 1,000
# alerts, divided by the difference in alerts. No assignments file is written, so replay keeps no
# row per input alert (it does with --assignments: 32 B more per input alert, plus non-derived ids).
# The reorder buffer holds what arrives within allowed_lateness (10 s): at this file's event rate
# (1 M alerts over 5 minutes) that is ~33 k alerts, ~42 MB, counted too.
# Usage: perf/active_rss.sh SQUALL [N=1000000] [WORKDIR=/tmp/squall-rss]
set -euo pipefail
squall=${1:?path to squall}
n=${2:-1000000}
work=${3:-/tmp/squall-rss}
[ -x /usr/bin/time ] || { echo "active_rss.sh: needs GNU time (/usr/bin/time): tools/setup.sh installs it" >&2; exit 2; }
mkdir -p "$work"
gen() {
  # %.0f: mawk's %d stops at 2^31, and epoch milliseconds are past it.
  awk -v n="$1" 'BEGIN {
    t0 = 1795490000000
    for (i = 0; i < n; i++)
      printf "{\"ts\":%.0f,\"labels\":{\"alertname\":\"Alert%d\",\"service\":\"svc-%d\",\"cluster\":\"c%d\",\"node\":\"ip-10-0-%d\",\"pod\":\"svc-%d-%d\",\"namespace\":\"ns%d\",\"severity\":\"warning\"},\"annotations\":{\"summary\":\"something is wrong\"}}\n", t0 + int(i * 300000 / n), i % 40, i % 500, i % 3, i % 2000, i % 500, i, i % 20
  }'
}
rss_kb() {
  /usr/bin/time -v "$squall" replay "$1" --no-progress 2>&1 >/dev/null |
    sed -n 's/.*Maximum resident set size (kbytes): //p'
}
[ -f "$work/base.ndjson" ] || gen 1000 >"$work/base.ndjson"
[ -f "$work/n$n.ndjson" ] || gen "$n" >"$work/n$n.ndjson"
base=$(rss_kb "$work/base.ndjson")
full=$(rss_kb "$work/n$n.ndjson")
awk -v b="$base" -v f="$full" -v n="$n" 'BEGIN {
  printf "active alerts %d: max RSS %.1f MB (1,000 alerts: %.1f MB) -> %.0f bytes per active alert\n",
    n, f / 1024, b / 1024, (f - b) * 1024 / (n - 1000)
}'
