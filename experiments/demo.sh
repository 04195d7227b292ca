#!/usr/bin/env bash
# The main job (`make demo`): Edgent in the paper's regime on one machine. A device SLOWDOWN
# times slower than this machine's core (time dilation: every device run is held to K times
# its CPU time), an edge server at full speed on loopback, and a link that replays a real
# bandwidth trace scaled into the paper's 50 kbit/s - 1.5 Mbit/s. Three deadlines from a
# documented rule; per deadline, Edgent and its baselines on the same request stream:
#
#   1. profile the shipped model as the edge and as the device (--slowdown K), fit both;
#   2. the link: the first DEMO_SECONDS of TRACE, scaled so that its 95th percentile is
#      TOP_KBPS (the paper scaled the Belgium 4G/LTE traces into 50 kbit/s - 1.5 Mbit/s);
#   3. the deadlines, from the plan sweep (edgent-plan --sweep-deadline): E = the exit of the
#      most accurate plan (at any deadline); tight = 1.1 x the smallest deadline at which the
#      plan at the window's 95th-percentile bandwidth uses E (E is reachable only on a fast
#      link); loose = 1.1 x the smallest deadline at which the plan at the window's
#      5th-percentile bandwidth uses E (E fits on a slow link too, mostly on the device);
#      middle = their mean. The factor 1.1 keeps each deadline 10 % above a predicted latency
#      (the prediction target), so that no strategy sits on a knife's edge;
#   4. per deadline: the configuration map (edgent-mapbuild, objective accuracy) from the whole
#      scaled trace, and one edgent-serve + one edgent-infer per strategy, run side by side,
#      each with its own emulated link replaying the window (--emulate-trace):
#        edgent          map + change-point detector on the measured bandwidth
#        edgent-cascade  the same with a confidence cascade per state (edgent-mapbuild
#                        --cascades: each input leaves at its first confident exit), whose
#                        slowest exit meets the deadline (--cascade-latency max): planned on
#                        its mean, the inputs that go on to late exits (a quarter or more)
#                        would miss it, and on its p95 up to 5 % of them could be sent over a
#                        link that takes seconds; on-time accuracy is the figure of merit here
#        edgent-static   one plan, chosen at the window's mean bandwidth
#        device-only, edge-only, partition-only   the paper's baselines (main exit), planned
#                        per request from the same fits at the measured bandwidth
#        oracle          the best plan per request at the link's true bandwidth (an upper bound)
#   5. a table per deadline, and two pictures (timeline.png, ontime.png) in OUT.
#
# Settings: configs/demo.conf (DEMO_CONFIG names another file) holds SLOWDOWN, TRACE,
# DEMO_SECONDS, RATE, TOP_KBPS, RTT, DEADLINES ("tight middle loose" in ms, instead of the rule)
# and PARALLEL (1: run a deadline's strategies side by side; 0: one after another); the same
# variables in the environment win. OUT (demo-out), BIN, MODEL, ACCURACY, DATA: environment.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/cmd}
OUT=${OUT:-demo-out}
MODEL=${MODEL:-$ROOT/models/branchy-alexnet-fmnist.json}
ACCURACY=${ACCURACY:-$ROOT/models/branchy-alexnet-fmnist.accuracy.json}
CASCADES=${CASCADES:-$ROOT/models/branchy-alexnet-fmnist.cascade.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
# shellcheck source=experiments/settings.sh
. "$HERE/settings.sh"
load_settings "${DEMO_CONFIG:-$ROOT/configs/demo.conf}"
for setting in SLOWDOWN TRACE DEMO_SECONDS RATE TOP_KBPS RTT DEADLINES PARALLEL; do
  [ -n "${!setting+set}" ] || { printf 'edgent demo: %s is not set (configs/demo.conf)\n' "$setting" >&2; exit 2; }
done
# SHARED_TRACES moves the shared traces folder, as in the other experiments.
if [ -n "${SHARED_TRACES:-}" ]; then
  TRACE=${TRACE/#"$ROOT/../shared/traces"/$SHARED_TRACES}
fi
STRATEGIES=(edgent edgent-cascade edgent-static device-only edge-only partition-only oracle)

say() { printf 'edgent demo: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in jq gnuplot awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run 'make deps'"
done
[ -x "$BIN/edgent-infer" ] || die "no tools in $BIN: run 'make build' first"
if [ ! -f "$TRACE" ]; then
  say "$TRACE not found (no ../shared/traces beside the checkout): using traces/steps-60s.csv"
  TRACE=$ROOT/traces/steps-60s.csv
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
COUNT=$(awk -v s="$DEMO_SECONDS" -v r="$RATE" 'BEGIN { printf "%d", s * r }')

# 1. Profiles and fits.
say "device = this machine's core slowed down ${SLOWDOWN}x by time dilation; edge = this machine at full speed"
say "profiling the edge and the device (a demo-sized profile; see man edgent-profile)"
demo_fits "$OUT"
fits=(--model "$MODEL" --accuracy "$ACCURACY" --device-fit "$OUT/device.fit.json"
      --edge-fit "$OUT/edge.fit.json")

# 2. The link: the window and its scale.
# shellcheck source=experiments/regime.sh
. "$HERE/regime.sh"
regime_window "$TRACE" "$DEMO_SECONDS" "$OUT/window.csv"
SCALE=$(regime_scale "$OUT/window.csv" "$TOP_KBPS") ||
  die "the window's 95th percentile bandwidth is 0: choose another TRACE"
B_LO=$(regime_kbps "$OUT/window.csv" 0.05 "$SCALE")
B_HI=$(regime_kbps "$OUT/window.csv" 0.95 "$SCALE")
B_MEAN=$(awk -F, -v k="$SCALE" 'NR > 1 { n++; s += $2 } END { printf "%.1f", s / n * k }' "$OUT/window.csv")
say "link: the first $DEMO_SECONDS s of ${TRACE#"$ROOT"/} x$SCALE: 5th/50th/95th percentile" \
    "$B_LO/$(regime_kbps "$OUT/window.csv" 0.5 "$SCALE")/$B_HI kbit/s, mean $B_MEAN"

# 3. The deadlines.
plan_at() {  # kbps deadline out [strategy]: a plan; exit 3 (no plan meets the deadline) is kept
  local rc=0
  "$BIN/edgent-plan" "${fits[@]}" --bandwidth "$1" --deadline "$2" --rtt "$RTT" \
    --strategy "${4:-edgent}" --quiet -o "$3" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
}
if [ -n "$DEADLINES" ]; then
  read -r D_TIGHT D_MIDDLE D_LOOSE <<<"$DEADLINES"
  rule="given by DEADLINES"
else
  read -r D_TIGHT D_MIDDLE D_LOOSE E first_hi first_lo < <(regime_deadlines "$B_LO" "$B_HI" "$RTT" "${fits[@]}") ||
    die "no exit fits a deadline up to 100 ms at $B_LO-$B_HI kbit/s"
  rule="exit $E (the most accurate) is first planned at $first_hi ms at $B_HI kbit/s and at $first_lo ms at $B_LO kbit/s; tight = 1.1 x the first, loose = 1.1 x the second, middle = their mean"
fi
say "deadlines: tight $D_TIGHT ms, middle $D_MIDDLE ms, loose $D_LOOSE ms ($rule)"

# 4. The runs.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_strategy() {  # dir name deadline: one edgent-serve and one edgent-infer
  local dir=$1 name=$2 deadline=$3 server port src
  rm -f "$dir/$name.port"
  "$BIN/edgent-serve" -m "$MODEL" --port 0 --port-file "$dir/$name.port" --threads 1 --quiet &
  server=$!
  for _ in $(seq 100); do [ -s "$dir/$name.port" ] && break; sleep 0.1; done
  [ -s "$dir/$name.port" ] || { kill "$server"; say "edgent-serve did not start"; return 1; }
  port=$(cat "$dir/$name.port")
  case $name in
    edgent) src=(--map "$dir/map.json" "${fits[@]:2}") ;;
    edgent-cascade) src=(--map "$dir/cascade-map.json" "${fits[@]:2}") ;;
    edgent-static) src=(--plan "$dir/static.plan.json" "${fits[@]:2}") ;;
    oracle) src=("${fits[@]:2}" --oracle) ;;
    *) src=("${fits[@]:2}" --strategy "$name") ;;
  esac
  local rc=0
  "$BIN/edgent-infer" --model "$MODEL" "${src[@]}" --data "$DATA" --count "$COUNT" --rate "$RATE" \
    --edge "127.0.0.1:$port" --emulate-trace "$OUT/window.csv" --trace-scale "$SCALE" \
    --slowdown "$SLOWDOWN" --deadline "$deadline" --bandwidth "$B_MEAN" --rtt "$RTT" --quiet \
    -o "$dir/$name.jsonl" --summary "$dir/$name.summary.json" || rc=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  return "$rc"
}

for level in tight middle loose; do
  case $level in tight) d=$D_TIGHT ;; middle) d=$D_MIDDLE ;; loose) d=$D_LOOSE ;; esac
  dir=$OUT/$level
  mkdir -p "$dir"
  "$BIN/edgent-mapbuild" "${fits[@]}" --trace "$TRACE" --scale "$SCALE" --deadline "$d" \
    --rtt "$RTT" --quiet -o "$dir/map.json"
  "$BIN/edgent-mapbuild" "${fits[@]}" --cascades "$CASCADES" --cascade-latency max \
    --trace "$TRACE" --scale "$SCALE" --deadline "$d" --rtt "$RTT" --quiet -o "$dir/cascade-map.json"
  plan_at "$B_MEAN" "$d" "$dir/static.plan.json"
  say "$level deadline $d ms: $COUNT requests at $RATE/s per strategy ($(jq '.states | length' "$dir/map.json") bandwidth states, $(jq '[.states[].plan | "\(.exit)/\(.cut)/\(.order)/\(.codec)"] | unique | length' "$dir/map.json") distinct plans in the map)"
  pids=()
  for name in "${STRATEGIES[@]}"; do
    if [ "$PARALLEL" = 1 ]; then
      run_strategy "$dir" "$name" "$d" &
      pids+=($!)
    else
      run_strategy "$dir" "$name" "$d"
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || die "a run of the $level deadline failed"; done
  pids=()
done

# 5. Tables and pictures.
table() {  # dir deadline
  printf '\n%s deadline %s ms (%s requests per strategy; 95%% confidence interval of on-time accuracy)\n' \
    "$(basename "$1")" "$2" "$COUNT"
  printf '%-15s %17s %9s %6s %8s %8s %9s %27s\n' strategy on-time-accuracy accuracy miss \
    p95-ms switches offloaded "pred.err total/dev(fit)/edge"
  for name in "${STRATEGIES[@]}"; do
    jq -r --arg n "$name" '
      def pct: . * 1000 | round / 10 | tostring + "%";
      def ci($c): 1.96 * ((. * (1 - .)) / $c | sqrt) * 1000 | round / 10;
      .labelled as $c
      | [$n, "\(.on_time_accuracy | pct) +-\(.on_time_accuracy | ci($c))", (.accuracy | pct),
         (.deadline_miss_rate | pct), (.latency_ms.p95 * 10 | round / 10 | tostring),
         (.plan_switches | tostring), (.offloaded | tostring),
         ([.prediction.median_rel_error, .prediction.device.median_rel_error,
           .prediction.device.median_rel_error_profiled, .prediction.edge.median_rel_error]
          | map(. * 100 | round | tostring) | "\(.[0])/\(.[1])(\(.[2]))/\(.[3])%")]
      | @tsv' "$1/$name.summary.json" |
      awk -F'\t' '{ printf "%-15s %17s %9s %6s %8s %8s %9s %27s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
  done
}
{
  printf 'Edgent demo: device %sx slower than this core (time dilation), link %s x%s (first %s s; %s-%s kbit/s, 5th-95th percentile), %s requests/s\n' \
    "$SLOWDOWN" "${TRACE#"$ROOT"/}" "$SCALE" "$DEMO_SECONDS" "$B_LO" "$B_HI" "$RATE"
  printf 'deadlines: %s\n' "$rule"
  table "$OUT/tight" "$D_TIGHT"
  table "$OUT/middle" "$D_MIDDLE"
  table "$OUT/loose" "$D_LOOSE"
  printf '\non-time accuracy: correct and within the deadline, over all requests (the figure of merit).\n'
  printf 'pred.err: median |predicted - measured| / measured of the whole request, of device compute (in brackets: the\n'
  printf '          device fit alone, before the runtime scales it by the speed it measures) and of edge compute.\n'
} | tee "$OUT/summary.txt"

for level in tight middle loose; do
  jq -r '[.trace_t_s, .true_kbps, (.bandwidth_kbps // 0), .exit_used,
          (if .offloaded then 1 else 0 end), .measured.total_ms, (if .deadline_met then 1 else 0 end),
          .plan.cut, (.state.estimate_kbps // 0)] | @csv' "$OUT/$level/edgent.jsonl" >"$OUT/$level/edgent.csv"
done
for name in "${STRATEGIES[@]}"; do  # strategy, on-time accuracy x3, 95 % half-width x3
  printf '%s' "$name"
  for level in tight middle loose; do
    printf ',%s' "$(jq '.on_time_accuracy' "$OUT/$level/$name.summary.json")"
  done
  for level in tight middle loose; do
    printf ',%s' "$(jq '.on_time_accuracy as $p | 1.96 * (($p * (1 - $p)) / .labelled | sqrt)' \
      "$OUT/$level/$name.summary.json")"
  done
  printf '\n'
done >"$OUT/ontime.csv"
gnuplot -e "out='$OUT'; slowdown='$SLOWDOWN'; trace='$(basename "$TRACE") x$SCALE'; deadlines='$D_TIGHT $D_MIDDLE $D_LOOSE'" \
  "$HERE/demo.gp"
printf '\npictures: %s/timeline.png (bandwidth, plan and latency over time), %s/ontime.png (on-time accuracy per strategy)\n' \
  "$OUT" "$OUT"
printf 'artifacts and per-request records: %s/\n' "$OUT"
