#!/usr/bin/env bash
# How squall scores on fault-injection storms it has never seen: storms from tools/eval/fi_storm.py
# (modelled on RCAEval/Nezha/Chaos-Mesh style experiments on Online Boutique, Sock Shop, Train-Ticket
# and a random system, alerts made the way a Prometheus stack makes them; written from DESIGN.md's
# formats only). For each system and seeds 1..SEEDS: generate (kept if already there), replay with
# default settings and the storm's topology, score with `squall eval --json`. Rows are means over
# seeds (merges: the total; AC@k: mean over storms where eval reports it). Prints Markdown.
# Usage: tools/eval/fi_eval.sh SQUALL [SEEDS] [WORKDIR]   (defaults: 5, build/fi-eval)
set -euo pipefail
squall=${1:?path to squall}
seeds=${2:-5}
work=${3:-build/fi-eval}
gen=$(dirname "$0")/fi_storm.py
mkdir -p "$work"
. "$(dirname "$0")/score_rows.sh"

echo "| system | seeds | alerts (mean) | faults (mean) | B³-F1 | merges (total) | frag/fault | AC@1 | AC@3 |"
echo "|---|---|---|---|---|---|---|---|---|"
for system in boutique sockshop trainticket synthetic mixed; do
  score_row "$system" yes --system "$system"
done
