#!/usr/bin/env bash
# Dynamic environment: a real bandwidth trace (Belgium 4G/LTE from ../shared/traces, else the
# project's traces/steps-60s.csv) replayed through the testbed's tbf (one `tc qdisc change` per
# sample, wall clock, bandwidth x DYN_SCALE). Compared: the configuration map + change-point
# detector, a static plan (chosen at the window's mean bandwidth) and the per-sample oracle.
#   - simulated time: edgent-mapbuild evaluate over the whole trace (and the window);
#   - real time: edgent-infer --map and --plan (static) through the testbed, DYN_SECONDS of the
#     trace at DYN_RATE requests/s; the oracle's reward over time is predicted (edgent-plan at
#     each trace sample), since no run can know the bandwidth ahead.
. "$(dirname "$0")/common.sh"
need_fits
DIR=$OUT/dynamic
mkdir -p "$DIR"
SHARED_TRACES=${SHARED_TRACES:-$ROOT/../shared/traces}
DYN_TRACE=${DYN_TRACE:-$SHARED_TRACES/belgium_4g_lte/report_bus_0003.csv}
DYN_FAMILY=${DYN_FAMILY:-$(dirname "$DYN_TRACE")}   # traces the map is built from
DYN_SCALE=${DYN_SCALE:-0.5}
DYN_DEADLINE=${DYN_DEADLINE:-10}
DYN_SECONDS=${DYN_SECONDS:-90}
DYN_RATE=${DYN_RATE:-10}
WINDOW_S=${WINDOW_S:-5}
if [ ! -f "$DYN_TRACE" ]; then
  say "$DYN_TRACE not found (no ../shared/traces): using traces/steps-60s.csv"
  DYN_TRACE=$ROOT/traces/steps-60s.csv
  DYN_FAMILY=$DYN_TRACE
  DYN_SCALE=${DYN_FALLBACK_SCALE:-4}
fi
count=$(awk -v s="$DYN_SECONDS" -v r="$DYN_RATE" 'BEGIN { printf "%d", s * r }')

# The replayed window: the first DYN_SECONDS of the trace, bandwidth as in the file.
awk -F, -v s="$DYN_SECONDS" 'NR == 1 || $1 < s' "$DYN_TRACE" >"$DIR/window.csv"
mean=$(awk -F, -v k="$DYN_SCALE" 'NR > 1 { n++; s += $2 } END { printf "%.1f", s / n * k }' "$DIR/window.csv")

say "map from $DYN_FAMILY x$DYN_SCALE, deadline $DYN_DEADLINE ms"
"$BIN/edgent-mapbuild" "${FITS[@]}" --trace "$DYN_FAMILY" --scale "$DYN_SCALE" \
  --deadline "$DYN_DEADLINE" --rtt "$RTT" --quiet -o "$DIR/map.json"
"$BIN/edgent-mapbuild" evaluate --map "$DIR/map.json" "${FITS[@]}" --trace "$DYN_TRACE" \
  --scale "$DYN_SCALE" --quiet -o "$DIR/evaluation-trace.json"
"$BIN/edgent-mapbuild" evaluate --map "$DIR/map.json" "${FITS[@]}" --trace "$DIR/window.csv" \
  --scale "$DYN_SCALE" --quiet -o "$DIR/evaluation-window.json"
plan_at "$mean" "$DYN_DEADLINE" "$DIR/static.plan.json"

# Accuracy of a plan, as the planner scores it: the table's entry (exit, cut, codec; codec
# "none" = device-only, the exit's own accuracy at its last cut, fp32).
jq -c '[.entries[] | {key: "\(.exit)/\(.cut)/\(.codec)", value: .accuracy}] | from_entries' \
  "$ACCURACY" >"$DIR/accuracy-lookup.json"

# The oracle over time: the best plan at each sample of the window (predicted reward).
echo "t_s,bandwidth_kbps,exit,cut,codec,predicted_ms,reward" >"$DIR/oracle.csv"
while IFS=, read -r t kbps; do
  b=$(awk -v r="$kbps" -v k="$DYN_SCALE" 'BEGIN { b = r * k; printf "%.3f", (b < 1 ? 1 : b) }')
  plan_at "$b" "$DYN_DEADLINE" "$DIR/.oracle.json"
  jq -r --arg t "$t" --arg b "$b" '[$t, $b, .plan.exit, .plan.cut, .plan.codec, .predicted.total_ms,
      (if .feasible then .reward else 0 end)] | @csv' "$DIR/.oracle.json" | tr -d '"' >>"$DIR/oracle.csv"
done < <(awk -F, 'NR > 1 { print $1 "," $2 }' "$DIR/window.csv")
rm -f "$DIR/.oracle.json"

first=$(awk -F, -v k="$DYN_SCALE" 'NR == 2 { printf "%.0f", $2 * k }' "$DIR/window.csv")
start_testbed "$first" "$DIR"
for run in map static; do
  if [ $run = map ]; then src=(--map "$DIR/map.json"); else src=(--plan "$DIR/static.plan.json"); fi
  say "dynamic: $run, $count requests at $DYN_RATE/s with $(basename "$DYN_TRACE") x$DYN_SCALE replayed by tc"
  tb_rate "$first"
  tb_replay_start "$DIR/window.csv" "$DYN_SCALE" "$DIR/$run.applied.csv"
  replay=${TB_PIDS[-1]}
  tb_device "$DEVICE_CPUS" "$BIN/edgent-infer" --model "$MODEL" "${src[@]}" --data "$DATA" \
    --count "$count" --rate "$DYN_RATE" --deadline "$DYN_DEADLINE" --bandwidth "$mean" --rtt "$RTT" \
    --edge "$TB_EDGE" --quiet -o "$DIR/$run.jsonl" --summary "$DIR/$run.summary.json" 2>/dev/null
  tb_stop "$replay"
done
tb_cleanup

# Per request: t_s (scheduled start), exit, deadline met, correct, reward R = 0 when late, else
# exp(accuracy of the plan) + 1 / latency_ms.
echo "run,t_s,exit,cut,codec,latency_ms,deadline_met,correct,reward,estimate_kbps" >"$DIR/requests.csv"
for run in map static; do
  jq -r --arg run $run --argjson rate "$DYN_RATE" --slurpfile acc "$DIR/accuracy-lookup.json" '
      . as $r | ($r.plan.codec | if . == "none" then "fp32" else . end) as $c
      | ($acc[0]["\($r.exit_used)/\($r.plan.cut)/\($c)"] // $acc[0]["\($r.exit_used)/\($r.plan.cut)/fp32"] // 0) as $a
      | [$run, ($r.id / $rate), $r.exit_used, $r.plan.cut, $r.plan.codec, $r.measured.total_ms,
         $r.deadline_met, $r.correct,
         (if $r.deadline_met then ($a | exp) + 1 / $r.measured.total_ms else 0 end),
         ($r.state.estimate_kbps // $r.bandwidth_kbps // "")] | @csv' "$DIR/$run.jsonl" |
    tr -d '"' >>"$DIR/requests.csv"
done
# WINDOW_S-second windows: miss rate, accuracy (correct), mean reward.
awk -F, -v w="$WINDOW_S" 'NR > 1 { k = $1 "," int($2 / w); n[k]++; miss[k] += ($7 == "false");
    ok[k] += ($8 == "true"); r[k] += $9 }
  END { print "run,t_s,miss_rate,accuracy,reward"
        for (k in n) { split(k, a, ","); printf "%s,%g,%.4f,%.4f,%.4f\n", a[1], (a[2] + 0.5) * w, miss[k] / n[k], ok[k] / n[k], r[k] / n[k] } }' \
  "$DIR/requests.csv" | { read -r h; echo "$h"; sort -t, -k1,1 -k2,2g; } >"$DIR/windows.csv"

gnuplot -e "dir='$DIR'; trace='$(basename "$DYN_TRACE") x$DYN_SCALE'; deadline='$DYN_DEADLINE'; seconds=$DYN_SECONDS" \
  "$HERE/dynamic.gp"
{
  echo "# dynamic: config map + detector vs static plan vs oracle under a replayed trace"
  echo
  machine_md
  echo "- trace: ${DYN_TRACE#"$ROOT"/} x$DYN_SCALE (map built from ${DYN_FAMILY#"$ROOT"/} x$DYN_SCALE);"
  echo "  deadline $DYN_DEADLINE ms; real runs: the first $DYN_SECONDS s replayed by tc (tbf both ways), $count"
  echo "  requests at $DYN_RATE/s (open loop) per run; static plan at the window's mean $mean kbit/s:"
  echo "  $(jq -r '"exit \(.plan.exit), cut \(.plan.cut), \(.plan.codec)"' "$DIR/static.plan.json")"
  echo "- map: $(jq '.states | length' "$DIR/map.json") bandwidth states, $(jq '[.states[].plan | "\(.exit)/\(.cut)/\(.codec)"] | unique | length' "$DIR/map.json") distinct plans"
  echo
  echo "![dynamic](dynamic.png)"
  echo
  echo "## simulated (edgent-mapbuild evaluate, 1-s steps)"
  echo
  echo "| replay | policy | miss rate | mean accuracy | mean reward | switches |"
  echo "|---|---|---:|---:|---:|---:|"
  for f in trace window; do
    jq -r --arg f "$f" '.total as $t | ["map", "static", "oracle"][] as $p
      | "| \($f) | \($p) | \($t[$p].miss_rate * 1000 | round / 10)% | \($t[$p].mean_accuracy * 10000 | round / 10000) | \($t[$p].mean_reward * 1000 | round / 1000) | \($t[$p].switches) |"' \
      "$DIR/evaluation-$f.json"
  done
  echo
  jq -r '.total | "Whole trace: map/oracle reward \(.map_vs_oracle_reward * 1000 | round / 1000); the detector found \(.detected) of \(.changes) offline change points (mean delay \(.mean_delay_s * 100 | round / 100) s, \(.alarms) alarms)."' \
    "$DIR/evaluation-trace.json"
  echo
  echo "## real (testbed, $DYN_SECONDS s)"
  echo
  echo "| policy | requests | miss rate | accuracy | mean reward | p95 ms | plan switches | probes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for run in map static; do
    r=$(awk -F, -v run=$run '$1 == run { n++; s += $9 } END { printf "%.3f", s / n }' "$DIR/requests.csv")
    jq -r --arg run $run --arg r "$r" '"| \($run) | \(.count) | \(.deadline_miss_rate * 1000 | round / 10)% | \(.accuracy * 1000 | round / 1000) | \($r) | \(.latency_ms.p95 * 100 | round / 100) | \(.plan_switches) | \(.probes) |"' \
      "$DIR/$run.summary.json"
  done
  o=$(awk -F, 'NR > 1 { n++; s += $7 } END { printf "%.3f", s / n }' "$DIR/oracle.csv")
  echo "| oracle (predicted) | $(awk 'END { print NR - 1 }' "$DIR/oracle.csv") samples | - | - | $o | - | - | - |"
  echo
  echo
  awk -F, 'NR > 1 && $1 == "map" { e[$3 "/" $4 "/" $5]++; n++
      if ($10 != "") { if (lo == "" || $10 < lo) lo = $10; if ($10 > hi) hi = $10 } }
    END { printf "In the real map run the requests used"; for (k in e) printf " exit/cut/codec %s (%d),", k, e[k]
          if (lo != "") printf " and the detector'"'"'s bandwidth estimate stayed within %.0f-%.0f kbit/s", lo, hi
          printf ".\n" }' "$DIR/requests.csv"
  awk -F, -v k="$DYN_SCALE" 'NR > 1 { b = $2 * k; n++; if (lo == "" || b < lo) lo = b; if (b > hi) hi = b; if (b < 2000) low++ }
    END { printf "The replayed window spans %.0f-%.0f kbit/s (%d of %d samples below 2 Mbit/s).\n", lo, hi, low, n }' "$DIR/window.csv"
  jq -r -s '"Map vs static (real): miss rate \(.[0].deadline_miss_rate * 1000 | round / 10)% vs \(.[1].deadline_miss_rate * 1000 | round / 10)%, p95 \(.[0].latency_ms.p95 | round) vs \(.[1].latency_ms.p95 | round) ms, fallbacks \(.[0].fallbacks) vs \(.[1].fallbacks)."' \
    "$DIR/map.summary.json" "$DIR/static.summary.json"
  echo
  echo "Request times are scheduled starts; the replay starts with edgent-infer (alignment within"
  echo "the tool's start-up, about 0.5 s). Reward per request: 0 when late, else"
  echo "exp(accuracy of the plan) + 1 / measured latency in ms."
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
