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
. "$(dirname "$0")/score_rows.sh"

echo "| storm | seeds | alerts (mean) | faults (mean) | B³-F1 | merges (total) | frag/fault | AC@1 | AC@3 |"
echo "|---|---|---|---|---|---|---|---|---|"
for profile in boutique sockshop trainticket random mixed; do
  score_row "$profile" yes --profile "$profile"
done
score_row boutique-no-topology no --profile boutique
score_row random-no-topology no --profile random
