#!/usr/bin/env bash
# `make run`: the main job on embedded defaults. Generates the 3am storm (one big fault plus noise,
# ~200 alerts in 4 minutes) and shows what squall's scorer says of the Alertmanager-style group_by
# baselines on it. The correlation engine, when it lands, replaces the baselines here.
set -euo pipefail
squall=${1:?path to squall}
dir=${2:-build/run}
seed=${SEED:-1}
mkdir -p "$dir"
echo "== squall storm --scenario 3am --seed $seed --out $dir/3am"
"$squall" storm --scenario 3am --seed "$seed" --out "$dir/3am"
for g in alertname service "alertname,service" cluster; do
  echo
  echo "== squall eval $dir/3am --baseline group_by=$g"
  "$squall" eval "$dir/3am" --baseline "group_by=$g"
done
