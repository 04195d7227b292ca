#!/usr/bin/env bash
# The main job (`make demo`): on one machine, emulate a slow device and an edge server, and
# compare Edgent with the baselines on the same request stream under a replayed bandwidth trace.
#
#   1. profile the shipped model as the edge (full speed) and as the device (under a CPU quota
#      of DEVICE_CPUS when root), and fit both;
#   2. build a configuration map from the trace (bandwidth states -> best plan by reward);
#   3. start edgent-serve on loopback;
#   4. run edgent-infer over COUNT Fashion-MNIST test images at RATE requests/s with the trace
#      replayed on its own link (--emulate-trace): Edgent (map + change-point detector), then
#      device-only, edge-only and partition-only planned from the same fits;
#   5. print accuracy, deadline-miss rate and p95 latency side by side; stop the server.
set -euo pipefail

BIN=${BIN:-build/cmd}
OUT=${OUT:-demo-out}
MODEL=${MODEL:-models/branchy-alexnet-fmnist.json}
ACCURACY=${ACCURACY:-models/branchy-alexnet-fmnist.accuracy.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
DEVICE_CPUS=${DEVICE_CPUS:-0.2}     # the device: a fifth of one core of this machine
DEADLINE=${DEADLINE:-5}             # ms
COUNT=${COUNT:-600}
RATE=${RATE:-10}                    # requests/s: 600 requests replay 60 s of the trace
TRACE=${TRACE:-traces/steps-60s.csv}
TRACE_SCALE=${TRACE_SCALE:-1}

say() { printf 'edgent demo: %s\n' "$*" >&2; }

mkdir -p "$OUT"
quota=()
if [ "$(id -u)" = 0 ]; then
  quota=(--cpu-quota "$DEVICE_CPUS")
  say "device = this machine under a CPU quota of $DEVICE_CPUS CPUs; edge = this machine at full speed"
else
  say "not root: no CPU quota, so the device runs as fast as the edge (run as root to emulate a slow device)"
fi

say "profiling the edge and the device (a demo-sized profile; see man edgent-profile)"
light=(--reps 7 --sweep-points 8 --anchor-points 5 --sweep-reps 3)
"$BIN/edgent-profile" -m "$MODEL" --role edge "${light[@]}" --quiet -o "$OUT/edge.profile.json"
"$BIN/edgent-profile" -m "$MODEL" --role device "${quota[@]}" "${light[@]}" --quiet \
  -o "$OUT/device.profile.json"
"$BIN/edgent-fit" "$OUT/edge.profile.json" --quiet -o "$OUT/edge.fit.json"
"$BIN/edgent-fit" "$OUT/device.profile.json" --quiet -o "$OUT/device.fit.json"

fits=(--model "$MODEL" --accuracy "$ACCURACY" --device-fit "$OUT/device.fit.json"
      --edge-fit "$OUT/edge.fit.json")
say "building the configuration map from $TRACE (deadline $DEADLINE ms)"
"$BIN/edgent-mapbuild" "${fits[@]}" --trace "$TRACE" --scale "$TRACE_SCALE" \
  --deadline "$DEADLINE" --rtt 0.2 -o "$OUT/map.json"

rm -f "$OUT/port"
"$BIN/edgent-serve" -m "$MODEL" --port 0 --port-file "$OUT/port" --threads 1 --quiet &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/port" ] && break; sleep 0.1; done
[ -s "$OUT/port" ] || { say "edgent-serve did not start"; exit 1; }
edge="127.0.0.1:$(cat "$OUT/port")"
say "edgent-serve listening on $edge"

common=(--model "$MODEL" --data "$DATA" --count "$COUNT" --rate "$RATE" --edge "$edge"
        --emulate-trace "$TRACE" --trace-scale "$TRACE_SCALE" --deadline "$DEADLINE" "${quota[@]}"
        --quiet)
run() {  # name, plan-source arguments...
  local name=$1
  shift
  say "running $name: $COUNT requests at $RATE/s with the trace replayed"
  "$BIN/edgent-infer" "${common[@]}" "$@" -o "$OUT/$name.jsonl" --summary "$OUT/$name.summary.json"
}
run edgent --map "$OUT/map.json"
for strategy in device-only edge-only partition-only; do
  run "$strategy" "${fits[@]:2}" --strategy "$strategy" --bandwidth 1000 --rtt 0.2
done

printf '\n%-16s %9s %11s %9s %9s %9s\n' strategy accuracy deadline-miss p95-ms switches offloaded
for name in edgent device-only edge-only partition-only; do
  jq -r --arg n "$name" '[$n, (.accuracy*100|tostring|.[0:5])+"%",
      (.deadline_miss_rate*100|tostring|.[0:5])+"%", (.latency_ms.p95|tostring|.[0:6]),
      .plan_switches, .offloaded] | @tsv' "$OUT/$name.summary.json" |
    awk -F'\t' '{printf "%-16s %9s %11s %9s %9s %9s\n", $1, $2, $3, $4, $5, $6}'
done
printf '\n(deadline %s ms, %s requests at %s/s, trace %s x%s; artifacts and per-request records in %s/)\n' \
  "$DEADLINE" "$COUNT" "$RATE" "$TRACE" "$TRACE_SCALE" "$OUT"
