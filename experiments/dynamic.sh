#!/usr/bin/env bash
# Dynamic environment on the real testbed: a real bandwidth trace (Belgium 4G/LTE from
# ../shared/traces, else the project's traces/steps-60s.csv), its first DYN_SECONDS scaled
# into the paper's range (95th percentile at TOP_KBPS, regime.sh) and replayed through the
# testbed's tbf (one `tc qdisc change` per sample, both ways). Three runs of DYN_SECONDS at
# DYN_RATE requests/s through the real link, the device SLOWDOWN times slower than the edge:
#   map     the configuration map (built from the whole scaled trace) + change-point detector
#           on the bandwidth the device measures (probes beyond tbf's burst, LINK_BURST)
#   static  one plan, chosen at the window's mean bandwidth
#   oracle  the best plan for each request at the rate the trace sets at its start
# The deadline is the demo's middle one over the window's 5th-95th percentile (regime.sh).
# Reported: on-time accuracy, misses, switches against the offline segments' plan changes,
# and how closely the device's bandwidth estimate tracks the shaped rate.
. "$(dirname "$0")/common.sh"
need_fits
DIR=$OUT/dynamic
mkdir -p "$DIR"
SHARED_TRACES=${SHARED_TRACES:-$ROOT/../shared/traces}
DYN_TRACE=${DYN_TRACE:-$SHARED_TRACES/belgium_4g_lte/report_bus_0003.csv}
DYN_SECONDS=${DYN_SECONDS:-90}
DYN_RATE=${DYN_RATE:-10}
if [ ! -f "$DYN_TRACE" ]; then
  say "$DYN_TRACE not found (no ../shared/traces): using traces/steps-60s.csv"
  DYN_TRACE=$ROOT/traces/steps-60s.csv
fi
count=$(awk -v s="$DYN_SECONDS" -v r="$DYN_RATE" 'BEGIN { printf "%d", s * r }')

regime_window "$DYN_TRACE" "$DYN_SECONDS" "$DIR/window.csv"
SCALE=$(regime_scale "$DIR/window.csv" "$TOP_KBPS") || { say "the window's 95th percentile is 0"; exit 1; }
B_LO=$(regime_kbps "$DIR/window.csv" 0.05 "$SCALE")
B_HI=$(regime_kbps "$DIR/window.csv" 0.95 "$SCALE")
B_MEAN=$(awk -F, -v k="$SCALE" 'NR > 1 { n++; s += $2 } END { printf "%.1f", s / n * k }' "$DIR/window.csv")
read -r _ D_MIDDLE _ < <(regime_deadlines "$B_LO" "$B_HI" "$RTT" "${FITS[@]}") || {
  say "no exit fits a deadline up to 100 ms at $B_LO-$B_HI kbit/s"
  exit 1
}
DEADLINE=${DYN_DEADLINE:-$D_MIDDLE}

say "map from ${DYN_TRACE#"$ROOT"/} x$SCALE, deadline $DEADLINE ms"
"$BIN/edgent-mapbuild" "${FITS[@]}" --trace "$DYN_TRACE" --scale "$SCALE" \
  --deadline "$DEADLINE" --rtt "$RTT" --quiet -o "$DIR/map.json"
"$BIN/edgent-mapbuild" evaluate --map "$DIR/map.json" "${FITS[@]}" --trace "$DIR/window.csv" \
  --scale "$SCALE" --quiet -o "$DIR/evaluation-window.json"
plan_at "$B_MEAN" "$DEADLINE" "$DIR/static.plan.json"

first=$(awk -F, -v k="$SCALE" 'NR == 2 { printf "%.0f", $2 * k }' "$DIR/window.csv")
start_testbed "$first" "$DIR"
for run in map static oracle; do
  case $run in
    map) src=(--map "$DIR/map.json" "${FITS[@]:2}") ;;
    static) src=(--plan "$DIR/static.plan.json" "${FITS[@]:2}") ;;
    oracle) src=("${FITS[@]:2}" --oracle) ;;
  esac
  say "dynamic: $run, $count requests at $DYN_RATE/s with $(basename "$DYN_TRACE") x$SCALE replayed by tc"
  tb_rate "$first"
  t0=$EPOCHREALTIME
  tb_replay_start "$DIR/window.csv" "$SCALE" "$DIR/$run.applied.csv"
  replay=${TB_PIDS[-1]}
  tb_device 0 "$BIN/edgent-infer" --model "$MODEL" "${src[@]}" --data "$DATA" --count "$count" \
    --rate "$DYN_RATE" --deadline "$DEADLINE" --bandwidth "$B_MEAN" --rtt "$RTT" \
    --slowdown "$SLOWDOWN" --link-burst "$LINK_BURST" --link-trace "$DIR/window.csv" \
    --trace-scale "$SCALE" --link-trace-start "$t0" --edge "$TB_EDGE" --quiet \
    -o "$DIR/$run.jsonl" --summary "$DIR/$run.summary.json" 2>"$DIR/$run.log"
  tb_stop "$replay"
done
tb_cleanup

# Per request: run, trace time, true (trace) rate, the device's raw estimate, exit, offloaded,
# latency, deadline met, correct.
echo "run,t_s,true_kbps,estimate_kbps,exit,offloaded,latency_ms,deadline_met,correct" >"$DIR/requests.csv"
for run in map static oracle; do
  jq -r --arg run $run '[$run, .trace_t_s, .true_kbps, (.bandwidth_kbps // 0), .exit_used,
      (if .offloaded then 1 else 0 end), .measured.total_ms, .deadline_met, .correct] | @csv' \
    "$DIR/$run.jsonl" | tr -d '"' >>"$DIR/requests.csv"
done
# The map run's estimate against the shaped rate: median |estimate / trace rate - 1|.
tracking=$(awk -F, '$1 == "map" && $4 > 0 && $3 > 0 { e = $4 / $3 - 1; print (e < 0 ? -e : e) }' \
  "$DIR/requests.csv" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)]; else print "n/a" }')

gnuplot -e "dir='$DIR'; trace='$(basename "$DYN_TRACE") x$SCALE'; scale=$SCALE; deadline='$DEADLINE'; seconds=$DYN_SECONDS" \
  "$HERE/dynamic.gp"
{
  echo "# dynamic: config map + detector vs static plan vs oracle, real link (tbf) replaying a trace"
  echo
  machine_md
  echo "- trace: the first $DYN_SECONDS s of ${DYN_TRACE#"$ROOT"/} x$SCALE (95th percentile at $TOP_KBPS kbit/s;"
  echo "  5th/95th percentile $B_LO/$B_HI kbit/s, mean $B_MEAN), replayed by tc tbf both ways; the map"
  echo "  is built from the whole trace, same scale; deadline $DEADLINE ms (the demo's middle deadline);"
  echo "  $count requests at $DYN_RATE/s per run; the device knows tbf passes $LINK_BURST bytes at line"
  echo "  rate (--link-burst: only transfers of twice that measure the rate, by their bytes beyond it)"
  echo "- static plan at $B_MEAN kbit/s: $(jq -r '"exit \(.plan.exit), cut \(.plan.cut), \(.plan.codec)"' "$DIR/static.plan.json")"
  echo "- map: $(jq '.states | length' "$DIR/map.json") bandwidth states, $(jq '[.states[].plan | "\(.exit)/\(.cut)/\(.order)/\(.codec)"] | unique | length' "$DIR/map.json") distinct plans"
  echo
  echo "![dynamic](dynamic.png)"
  echo
  echo "## real runs (testbed)"
  echo
  echo "| policy | requests | on-time accuracy (95 % CI) | accuracy | miss rate | p95 ms | plan switches | offloaded | probes | pred. error total/device/edge |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for run in map static oracle; do
    jq -r --arg run $run '.labelled as $c | (.on_time_accuracy) as $p
      | "| \($run) | \(.count) | \($p * 1000 | round / 1000) +- \(1.96 * (($p * (1 - $p)) / $c | sqrt) * 1000 | round / 1000) | \(.accuracy * 1000 | round / 1000) | \(.deadline_miss_rate * 1000 | round / 10)% | \(.latency_ms.p95 * 10 | round / 10) | \(.plan_switches) | \(.offloaded) | \(.probes) | \([.prediction.median_rel_error, .prediction.device.median_rel_error, .prediction.edge.median_rel_error] | map(. * 100 | round | tostring) | join("/"))% |"' \
      "$DIR/$run.summary.json"
  done
  echo
  jq -r '.total | "Offline, the window has \(.changes) change points (PELT), \(.plan_changes) of them between segments the map gives different plans: the changes the detector should act on."' \
    "$DIR/evaluation-window.json"
  jq -r -s '"The map run switched plan \(.[0].plan_switches) times (target: at least one per plan change above); on-time accuracy map \(.[0].on_time_accuracy * 1000 | round / 1000) vs static \(.[1].on_time_accuracy * 1000 | round / 1000) vs oracle \(.[2].on_time_accuracy * 1000 | round / 1000)."' \
    "$DIR/map.summary.json" "$DIR/static.summary.json" "$DIR/oracle.summary.json"
  echo "The device's bandwidth estimate in the map run against the trace's rate at each request:"
  echo "median |estimate / rate - 1| = $tracking (target 0.2)."
  echo
  echo "## simulated (edgent-mapbuild evaluate over the window, 1-s steps)"
  echo
  echo "| policy | miss rate | mean accuracy | on-time accuracy | switches |"
  echo "|---|---:|---:|---:|---:|"
  jq -r '.total as $t | ["map", "static", "oracle"][] as $p
    | "| \($p) | \($t[$p].miss_rate * 1000 | round / 10)% | \($t[$p].mean_accuracy * 10000 | round / 10000) | \($t[$p].on_time_accuracy * 10000 | round / 10000) | \($t[$p].switches) |"' \
    "$DIR/evaluation-window.json"
  echo
  echo "Request times are trace times: edgent-infer's --link-trace-start is the moment the replay"
  echo "began, so requests and the shaped rate share one clock (tc applies each sample within a few ms)."
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
