#!/usr/bin/env bash
# What planning costs per request (`make bench-plan`): bench/plan_bench.sh [BUILD_DIR]
# edgent-infer with --device-fit/--edge-fit plans every request; with --cascades it searches
# the whole cascade table. build/bench/plan_bench times the fixed-exit search, the cascade
# search over candidates prepared once (as edgent-infer keeps them) and, beside it in the same
# run, decide_cascade (preparing them per call) and the exhaustive cascade search, on the default model
# and its cascade table with the demo's fits (demo-out/, from `make demo`; made in a temporary
# directory when missing), at the demo's bandwidths and at deadlines from infeasible to loose.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
BIN=$build/cmd
MODEL=$root/models/branchy-alexnet-fmnist.json
# shellcheck source=experiments/settings.sh
. "$root/experiments/settings.sh"
load_settings "$root/configs/demo.conf"
fits=$root/demo-out
if [ ! -s "$fits/device.fit.json" ] || [ ! -s "$fits/edge.fit.json" ]; then
  fits=$(mktemp -d)
  trap 'rm -rf "$fits"' EXIT
  echo "plan_bench: no demo fits in demo-out/: profiling the edge and the device (${SLOWDOWN}x slower)" >&2
  demo_fits "$fits"
fi
for deadline in 5 8 14 25; do
  "$build/bench/plan_bench" --model "$MODEL" \
    --accuracy "$root/models/branchy-alexnet-fmnist.accuracy.json" \
    --cascades "$root/models/branchy-alexnet-fmnist.cascade.json" \
    --device-fit "$fits/device.fit.json" --edge-fit "$fits/edge.fit.json" \
    --deadline "$deadline" --rtt "$RTT" --bandwidths "50 250 1500"
done
