#!/bin/sh
# edgent-infer benchmarks (issue 7 closing note), run from the source tree after a build:
#   bench/infer_bench.sh [BUILD_DIR] [WORK_DIR]
# 1. Overhead: a fixed plan (predictions from the fits, not the plan file's zeros) over loopback without throttling (a middle cut of the main exit, and
#    edge-only): measured end-to-end latency vs device head + edge tail compute (the summary's
#    "overhead": median of total - device - edge compute, absolute and as a ratio).
# 2. Trace replay: fits made here with edgent-profile + edgent-fit for both roles, then
#    --emulate-trace on the first 60 s of a Norway 3G trace: median |measured - predicted| /
#    measured (the summary's "prediction").
set -eu
build=${1:-build}
work=${2:-$(mktemp -d)}
bin=$build/cmd
model=models/branchy-alexnet-fmnist.json
data=/usr/share/datasets/fashion-mnist
trace=../shared/traces/norway_3g_hsdpa/bus.ljansbakken-oslo-report.2010-09-29_1628CEST.csv
mkdir -p "$work"
sha=$(sed -n 's/.*"onnx_sha256": *"\([0-9a-f]*\)".*/\1/p' "$model")

for role in device edge; do
  "$bin/edgent-profile" --model "$model" --role $role --quiet -o "$work/${role}_profile.json"
  "$bin/edgent-fit" --profile "$work/${role}_profile.json" -o "$work/${role}_fit.json" --quiet
done
awk -F, 'NR == 1 || $1 < 60' "$trace" > "$work/slice60.csv"

"$bin/edgent-serve" --model "$model" --port 0 --port-file "$work/port" --threads 1 --quiet &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
while [ ! -s "$work/port" ]; do sleep 0.1; done
edge=127.0.0.1:$(cat "$work/port")

for plan in "5 4 device-first fp32 mid" "5 0 device-first fp32 edgeonly"; do
  set -- $plan
  cat > "$work/plan_$5.json" <<JSON
{"schema": "edgent.plan/1", "generator": {"tool": "edgent-plan", "version": "bench", "git": "bench"},
 "strategy": "edgent", "feasible": true, "deadline_ms": 50, "bandwidth_kbps": null,
 "up_kbps": 0, "down_kbps": 0, "rtt_ms": 0, "edge_queue_ms": 0, "model_sha256": "$sha",
 "accuracy_known": false, "plan": {"exit": $1, "cut": $2, "order": "$3", "codec": "$4", "accuracy": null},
 "predicted": {"device_ms": 0, "edge_ms": 0, "up_ms": 0, "down_ms": 0, "total_ms": 0}, "reward": 0}
JSON
  echo "== overhead, fixed plan exit $1 cut $2 $3 $4 (loopback, no throttle)"
  "$bin/edgent-infer" --model "$model" --plan "$work/plan_$5.json" --data $data --count 500 \
    --device-fit "$work/device_fit.json" --edge-fit "$work/edge_fit.json" --edge "$edge" --summary "$work/overhead_$5.json" -o "$work/overhead_$5.jsonl"
done

echo "== trace replay, fixed plan exit 5 cut 4 fp32 (50 KB up), fits' predictions, 2 requests/s for 60 s"
"$bin/edgent-infer" --model "$model" --plan "$work/plan_mid.json" --deadline 1000 \
  --device-fit "$work/device_fit.json" --edge-fit "$work/edge_fit.json" --data $data \
  --count 120 --rate 2 --edge "$edge" --emulate-trace "$work/slice60.csv" \
  --summary "$work/trace_mid.json" -o "$work/trace_mid.jsonl"

for strategy in edge-only partition-only edgent; do
  echo "== trace replay, fits, strategy $strategy, deadline 30 ms, 10 requests/s for 30 s"
  "$bin/edgent-infer" --model "$model" --device-fit "$work/device_fit.json" \
    --edge-fit "$work/edge_fit.json" --deadline 30 --strategy $strategy --data $data \
    --count 300 --rate 10 --edge "$edge" --emulate-trace "$work/slice60.csv" \
    --summary "$work/trace_$strategy.json" -o "$work/trace_$strategy.jsonl"
done
echo "artifacts in $work"
