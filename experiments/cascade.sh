#!/usr/bin/env bash
# Confidence cascades (per-input early exits, planned with the partition) against fixed exits:
# `make -C experiments cascade`. In the demo's regime (configs/demo.conf: the device is this
# machine's core slowed down SLOWDOWN times by time dilation, the edge edgent-serve at full
# speed on loopback, RTT):
#
#   1. profiles and fits of the default model, as the demo makes them (cached in OUT);
#   2. the cascade table: models/branchy-alexnet-fmnist.cascade.json (edgent-eval --cascades
#      on the whole 10k test set; remade in OUT when CASCADES names no file);
#   3. the frontier at two bandwidths (BANDWIDTHS, kbit/s): per deadline of a grid, the plan
#      from the table's one-exit entries (fixed exits, each at its best cut) and the plan from
#      the whole table (cascades), both with edgent-plan --cascades: accuracy against the
#      planner's expected (mean) latency -> frontier.csv and cascade.png;
#   4. the targets, through the runtime at each MEASURE_KBPS: exit 5's fastest fixed plan, and the
#      most accurate cascade whose expected latency is at most 60 % of that plan's, each run by
#      edgent-infer (--slowdown SLOWDOWN, closed loop) over COUNT test images against its own
#      edgent-serve, the link emulated at that rate (--emulate-trace): measured accuracy and
#      mean latency of both, and the planner's expected latency against the measured mean.
#      The two are measured side by side: they take turns over CHUNKS slices of the images
#      (exit 5 first in even slices, the cascade first in odd ones), so that the host's drift
#      in speed over the minutes a run takes hits both alike; each plan's records are joined
#      and summarised (accuracy, mean latency, answers per exit) in $name-$kbps.summary.json.
#
#      Then open loop at RATE requests/s (configs/demo.conf, the demo's stream) over
#      OPEN_COUNT images: each request comes after an idle gap, as the profile's request
#      overhead assumes, so this is where the planner's expected latency is checked. The
#      device's speed drifts on a shared machine (on this VM by up to a third within minutes,
#      as a real device's does when it throttles), and the planner plans at the speed it is
#      given, as it plans at the bandwidth it is given: so each open-loop run is preceded by
#      CAL_COUNT requests of the same plan on other images (after the OPEN_COUNT), whose last
#      record gives the device speed edgent-infer measured (device_scale), and both plans are
#      planned again at that speed (edgent-plan --device-scale) before they run. The summary
#      gives the planner's expected latency at that speed and at the profile's. Last, both run
#      open loop with the planner inside edgent-infer (--cascades: the cascade table, or exit
#      5's one entry, at the same deadline): each request planned at the bandwidth and device
#      speed measured before it, its expected latency recorded; target 2 compares their mean
#      with the measured mean.
#
# Settings (environment): BANDWIDTHS ("250 1500"), MEASURE_KBPS ("250 1500"), COUNT (10000),
# CHUNKS (10), OPEN_COUNT (1000), CAL_COUNT (200), OUT
# (out/cascade), BIN, MODEL, ACCURACY, CASCADES, DATA; SLOWDOWN and RTT from configs/demo.conf
# (DEMO_CONFIG names another file) unless set.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/cmd}
OUT=${OUT:-$HERE/out}/cascade
MODEL=${MODEL:-$ROOT/models/branchy-alexnet-fmnist.json}
ACCURACY=${ACCURACY:-$ROOT/models/branchy-alexnet-fmnist.accuracy.json}
CASCADES=${CASCADES:-$ROOT/models/branchy-alexnet-fmnist.cascade.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
BANDWIDTHS=${BANDWIDTHS:-250 1500}
MEASURE_KBPS=${MEASURE_KBPS:-250 1500}
COUNT=${COUNT:-10000}
CHUNKS=${CHUNKS:-10}
OPEN_COUNT=${OPEN_COUNT:-1000}
CAL_COUNT=${CAL_COUNT:-200}
# shellcheck source=experiments/settings.sh
. "$HERE/settings.sh"
load_settings "${DEMO_CONFIG:-$ROOT/configs/demo.conf}"

say() { printf 'edgent cascade: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for tool in jq gnuplot awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run 'make deps'"
done
[ -x "$BIN/edgent-infer" ] || die "no tools in $BIN: run 'make build' first"
mkdir -p "$OUT"

# 1. Profiles and fits (the demo's).
if [ ! -s "$OUT/device.fit.json" ] || [ ! -s "$OUT/edge.fit.json" ]; then
  say "profiling the edge and the device (${SLOWDOWN}x slower, time dilation)"
  demo_fits "$OUT"
fi
fits=(--model "$MODEL" --accuracy "$ACCURACY" --device-fit "$OUT/device.fit.json"
      --edge-fit "$OUT/edge.fit.json")

# 2. The cascade table, and its one-exit entries (the fixed exits).
if [ ! -s "$CASCADES" ]; then
  say "measuring the cascade table on the whole test set"
  CASCADES=$OUT/cascade.json
  "$BIN/edgent-eval" --model "$MODEL" --data "$DATA" --limit 0 --cascades --quiet -o "$CASCADES"
fi
jq '.entries |= map(select(.exits | length == 1))' "$CASCADES" >"$OUT/fixed.json"

plan() {  # table kbps deadline out [options...]: a plan (exit 3, none meets the deadline, is kept)
  local rc=0 table=$1 kbps=$2 deadline=$3 out=$4
  shift 4
  "$BIN/edgent-plan" "${fits[@]}" --cascades "$table" --bandwidth "$kbps" --deadline "$deadline" \
    --rtt "$RTT" "$@" --quiet -o "$out" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
}
row() {  # plan.json -> feasible,accuracy,expected_ms,exits,cut
  jq -r '[.feasible, .plan.accuracy, .predicted.total_ms,
          (if .plan.cascade then (.plan.cascade.exits | map(tostring) | join("+")) + "@" +
             (.plan.cascade.thresholds[0] | tostring) else (.plan.exit | tostring) end),
          .plan.cut] | @csv' "$1"
}

# 3. The frontier: deadlines 2 .. 400 ms, geometric.
printf 'kbps,kind,deadline_ms,feasible,accuracy,expected_ms,exits,cut\n' >"$OUT/frontier.csv"
for kbps in $BANDWIDTHS; do
  say "frontier at $kbps kbit/s"
  for d in $(awk 'BEGIN { for (i = 0; i < 60; i++) printf "%.3f\n", 2 * 200 ^ (i / 59) }'); do
    for kind in fixed cascade; do
      table=$CASCADES
      [ "$kind" = fixed ] && table=$OUT/fixed.json
      plan "$table" "$kbps" "$d" "$OUT/p.json"
      printf '%s,%s,%s,%s\n' "$kbps" "$kind" "$d" "$(row "$OUT/p.json")" >>"$OUT/frontier.csv"
    done
  done
done

# 4. The targets through the runtime, at each bandwidth of MEASURE_KBPS.
serve_and_infer() {  # name plan link.csv kbps count [rate [offset]]: closed loop without a rate
  local name=$1 plan=$2 link=$3 kbps=$4 count=$5 rate=${6:-} offset=${7:-0} server port rc=0 loop=() src
  [ -n "$rate" ] && loop=(--rate "$rate")
  # plan: a plan file, or table.json@deadline: edgent-infer plans each request's cascade from
  # the table at that deadline (online).
  case $plan in
    *@*) src=(--cascades "${plan%@*}" --deadline "${plan##*@}") ;;
    *) src=(--plan "$plan") ;;
  esac
  rm -f "$OUT/$name.port"
  "$BIN/edgent-serve" -m "$MODEL" --port 0 --port-file "$OUT/$name.port" --threads 1 --quiet &
  server=$!
  for _ in $(seq 100); do [ -s "$OUT/$name.port" ] && break; sleep 0.1; done
  [ -s "$OUT/$name.port" ] || { kill "$server"; die "edgent-serve did not start"; }
  port=$(cat "$OUT/$name.port")
  "$BIN/edgent-infer" --model "$MODEL" "${src[@]}" "${fits[@]:2}" --data "$DATA" --count "$count" --offset "$offset" "${loop[@]}" \
    --edge "127.0.0.1:$port" --emulate-trace "$link" --slowdown "$SLOWDOWN" --cv-threads 1 \
    --bandwidth "$kbps" --rtt "$RTT" --quiet -o "$OUT/$name.jsonl" \
    --summary "$OUT/$name.summary.json" || rc=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  [ "$rc" = 0 ] || die "edgent-infer ($name) exited $rc"
}
jq '.entries |= map(select(.exits == [5]))' "$CASCADES" >"$OUT/exit5.json"
: >"$OUT/measured.csv"
{
  printf '# Confidence cascades against fixed exits\n\n'
  printf -- '- device: this machine'"'"'s core %sx slower (time dilation); edge: edgent-serve, one thread, loopback;\n' "$SLOWDOWN"
  printf '  the link emulated at a constant rate (token buckets in the client), planner RTT %s ms;\n' "$RTT"
  printf '  each plan run by edgent-infer over %s test images, closed loop, the two plans taking turns over %s slices\n' \
    "$COUNT" "$CHUNKS"
  printf -- '- cascade table: %s (%s test images, %s entries)\n' "${CASCADES#"$ROOT"/}" \
    "$(jq .samples "$CASCADES")" "$(jq '.entries | length' "$CASCADES")"
} >"$OUT/summary.md"
for kbps in $MEASURE_KBPS; do
  printf 't_s,bandwidth_kbps\n0,%s\n3600,%s\n' "$kbps" "$kbps" >"$OUT/link-$kbps.csv"
  plan "$OUT/exit5.json" "$kbps" 100000 "$OUT/exit5-$kbps.plan.json"
  e5_ms=$(jq '.predicted.total_ms' "$OUT/exit5-$kbps.plan.json")
  d60=$(awk -v x="$e5_ms" 'BEGIN { printf "%.3f", 0.6 * x }')
  plan "$CASCADES" "$kbps" "$d60" "$OUT/cascade-$kbps.plan.json"
  say "$kbps kbit/s: exit 5's fastest plan: cut $(jq .plan.cut "$OUT/exit5-$kbps.plan.json"), expected $e5_ms ms;" \
      "the most accurate cascade within 60 % ($d60 ms): $(row "$OUT/cascade-$kbps.plan.json")"
  say "$kbps kbit/s: running both plans over $COUNT test images (closed loop, taking turns over $CHUNKS slices)"
  : >"$OUT/exit5-$kbps.jsonl"
  : >"$OUT/cascade-$kbps.jsonl"
  per=$(((COUNT + CHUNKS - 1) / CHUNKS))
  for ((k = 0; k * per < COUNT; k++)); do
    n=$((COUNT - k * per < per ? COUNT - k * per : per))
    order="exit5 cascade"
    [ $((k % 2)) = 1 ] && order="cascade exit5"
    for name in $order; do
      serve_and_infer "$name-$kbps-part" "$OUT/$name-$kbps.plan.json" "$OUT/link-$kbps.csv" "$kbps" \
        "$n" "" $((k * per))
      cat "$OUT/$name-$kbps-part.jsonl" >>"$OUT/$name-$kbps.jsonl"
    done
  done
  for name in exit5 cascade; do
    jq -s '{accuracy: ((map(select(.correct)) | length) / length),
            latency_ms: {mean: (map(.measured.total_ms) | add / length)}, count: length,
            answers: (group_by(.exit_used) | map({exit: .[0].exit_used,
              device: (map(select(.answered_on == "device")) | length),
              edge: (map(select(.answered_on == "edge")) | length)}))}' \
      "$OUT/$name-$kbps.jsonl" >"$OUT/$name-$kbps.summary.json"
    printf '%s,%s,%s,%s\n' "$kbps" "$name" "$(jq '.latency_ms.mean' "$OUT/$name-$kbps.summary.json")" \
      "$(jq '.accuracy' "$OUT/$name-$kbps.summary.json")" >>"$OUT/measured.csv"
  done
  for name in exit5 cascade; do
    say "$kbps kbit/s: the device's speed now: the $name plan over $CAL_COUNT other images at $RATE requests/s"
    serve_and_infer "$name-$kbps-cal" "$OUT/$name-$kbps.plan.json" "$OUT/link-$kbps.csv" "$kbps" \
      "$CAL_COUNT" "$RATE" "$OPEN_COUNT"
    scale=$(tail -n 1 "$OUT/$name-$kbps-cal.jsonl" | jq '.device_scale')
    # What the plan is made from, as above: exit 5's one entry without a deadline to speak
    # of, or the whole table at 60 % of exit 5's expected latency.
    case $name in
      exit5) table=$OUT/exit5.json deadline=100000 ;;
      *) table=$CASCADES deadline=$d60 ;;
    esac
    plan "$table" "$kbps" "$deadline" "$OUT/$name-$kbps-open.plan.json" --device-scale "$scale"
    say "$kbps kbit/s: device speed x$scale; planned again: $(row "$OUT/$name-$kbps-open.plan.json");" \
        "running it over $OPEN_COUNT test images at $RATE requests/s (open loop)"
    serve_and_infer "$name-$kbps-open" "$OUT/$name-$kbps-open.plan.json" "$OUT/link-$kbps.csv" "$kbps" \
      "$OPEN_COUNT" "$RATE"
    say "$kbps kbit/s: the $name plan made per request by edgent-infer (--cascades) over $OPEN_COUNT test images at $RATE requests/s"
    serve_and_infer "$name-$kbps-online" "$table@$deadline" "$OUT/link-$kbps.csv" "$kbps" "$OPEN_COUNT" "$RATE"
  done
  {
    printf '\n## %s kbit/s (load average %s: timings on a shared machine, re-measure on a quiet one)\n\n' \
      "$kbps" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '| plan | exits@tau | cut | measured accuracy | measured mean ms | planner expected ms | answered (exit device/edge) |\n'
    printf '|---|---|---|---|---|---|---|\n'
    for name in exit5 cascade; do
      jq -r --arg n "$name" --slurpfile s "$OUT/$name-$kbps.summary.json" '
        [$n, (if .plan.cascade then (.plan.cascade.exits | map(tostring) | join("+")) + "@" +
                (.plan.cascade.thresholds | map(tostring) | join("/")) else (.plan.exit | tostring) end),
         (.plan.cut | tostring), ($s[0].accuracy * 10000 | round / 100 | tostring) + " %",
         ($s[0].latency_ms.mean * 100 | round / 100 | tostring),
         (.predicted.total_ms * 100 | round / 100 | tostring),
         ($s[0].answers | map("e\(.exit) \(.device)/\(.edge)") | join(", "))]
        | "| " + join(" | ") + " |"' "$OUT/$name-$kbps.plan.json"
    done
    printf '\n'
    # Per run, from its records: what the emulated device alone would take (K x the device CPU
    # time, plus what the network and the edge took; under load the hold of K x CPU time is
    # exceeded when the compute itself waits for a core, which a quiet machine does not do),
    # and the runtime's own expectation of each request (the same plan, its device times scaled
    # by the device speed measured on the requests before it: edgent-infer's default).
    for name in exit5 cascade exit5-open cascade-open; do
      jq -rs --arg n "$name" --argjson k "$SLOWDOWN" '
        def r($d): . * $d | round / $d;
        (map(.measured.total_ms) | add / length) as $m
        | (map(.measured.total_ms - .measured.device_ms + $k * .measured.device_cpu_ms) | add / length) as $q
        | (map(.predicted.total_ms) | add / length) as $p
        | (map(.device_scale) | add / length) as $s
        | "- \($n): mean latency with the device at K x its CPU time: \($q | r(100)) ms (measured \($m | r(100)) ms)",
          "- \($n): the runtime expected \($p | r(100)) ms per request (device speed x\($s | r(1000)) on average) against \($m | r(100)) ms measured: \(($p - $m) / $m * 100 | r(10)) %"' \
        "$OUT/${name%-open}-$kbps${name#"${name%-open}"}.jsonl"
    done
    awk -v a5="$(jq .accuracy "$OUT/exit5-$kbps.summary.json")" -v ac="$(jq .accuracy "$OUT/cascade-$kbps.summary.json")" \
        -v m5="$(jq .latency_ms.mean "$OUT/exit5-$kbps.summary.json")" -v mc="$(jq .latency_ms.mean "$OUT/cascade-$kbps.summary.json")" \
        -v p5="$e5_ms" -v pc="$(jq .predicted.total_ms "$OUT/cascade-$kbps.plan.json")" -v n="$COUNT" 'BEGIN {
      printf "- target 1: cascade accuracy %.2f %% vs exit 5 %.2f %% (%+.2f points; target >= -0.2) at a mean latency of %.2f ms = %.1f %% of exit 5'"'"'s %.2f ms (target <= 60 %%)\n", 100 * ac, 100 * a5, 100 * (ac - a5), mc, 100 * mc / m5, m5
      printf "- closed loop: planner expected %.2f ms vs measured mean %.2f ms over %d requests (cascade): %+.1f %%; exit 5: %.2f vs %.2f ms, %+.1f %%\n", pc, mc, n, 100 * (pc - mc) / mc, p5, m5, 100 * (p5 - m5) / m5
    }'
    # Target 2, per open-loop run: the plan made at the device speed measured just before it,
    # its expected latency at that speed (what the planner predicts with current inputs) and at
    # the profile's speed (the same plan's device compute and codec unscaled: the latency
    # model scales exactly those), against the measured mean.
    for name in exit5 cascade; do
      jq -rn --arg n "$name" --slurpfile p "$OUT/$name-$kbps-open.plan.json" \
          --slurpfile s "$OUT/$name-$kbps-open.summary.json" --slurpfile c "$OUT/$name-$kbps-cal.jsonl" \
          --argjson count "$OPEN_COUNT" --argjson rate "$RATE" '
        def r($d): . * $d | round / $d;
        $p[0] as $plan | $s[0] as $sum | ($plan.device_scale // 1) as $k
        | $plan.predicted as $e | $sum.latency_ms.mean as $m
        | ($e.total_ms - ($k - 1) * ($e.device_ms + ($e.codec_ms // 0))) as $e1
        | (if $plan.plan.cascade then ($plan.plan.cascade.exits | map(tostring) | join("+")) + "@" +
             ($plan.plan.cascade.thresholds | map(tostring) | join("/")) else ($plan.plan.exit | tostring) end) as $what
        | "- target 2, \($n) (open loop at \($rate) requests/s over \($count) images; plan \($what) at cut \($plan.plan.cut), planned at the device speed x\($k | r(1000)) measured over the \($c | length) requests before): planner expected \($e.total_ms | r(100)) ms vs measured mean \($m | r(100)) ms: \((($e.total_ms - $m) / $m * 100) | r(10)) % (target within 10 %); at the profile'"'"'s speed the same plan expected \($e1 | r(100)) ms: \((($e1 - $m) / $m * 100) | r(10)) %; accuracy \($sum.accuracy * 100 | r(100)) % on these images"'
    done
    awk -v mc="$(jq .latency_ms.mean "$OUT/cascade-$kbps-open.summary.json")" -v m5="$(jq .latency_ms.mean "$OUT/exit5-$kbps-open.summary.json")" 'BEGIN {
      printf "- open loop, mean latency cascade / exit 5: %.1f %%\n", 100 * mc / m5
    }'
    # Target 2 with the planner online: the mean of the expected latency each request was
    # planned with (at the device speed and bandwidth measured before it) against the measured
    # mean, and what it chose.
    for name in exit5 cascade; do
      jq -rs --arg n "$name" --argjson rate "$RATE" '
        def r($d): . * $d | round / $d;
        (map(.measured.total_ms) | add / length) as $m
        | (map(.predicted.total_ms) | add / length) as $p
        | (map(.device_scale) | add / length) as $s
        | (map(select(.correct)) | length) as $ok
        | (map(.plan.cascade // ("exit " + (.plan.exit | tostring))) | group_by(.) | map("\(.[0]) x\(length)") | join(", ")) as $chosen
        | (map(.plan.cut) | unique | map(tostring) | join("/")) as $cuts
        | "- target 2, \($n) planned per request by edgent-infer (open loop at \($rate) requests/s over \(length) images; chose \($chosen) at cut \($cuts); device speed x\($s | r(1000)) on average): planner expected \($p | r(100)) ms vs measured mean \($m | r(100)) ms: \((($p - $m) / $m * 100) | r(10)) % (target within 10 %); accuracy \($ok / length * 100 | r(100)) %"' \
        "$OUT/$name-$kbps-online.jsonl"
    done
    awk -v mc="$(jq .latency_ms.mean "$OUT/cascade-$kbps-online.summary.json")" -v m5="$(jq .latency_ms.mean "$OUT/exit5-$kbps-online.summary.json")" 'BEGIN {
      printf "- planned online, mean latency cascade / exit 5: %.1f %%\n", 100 * mc / m5
    }'
  } >>"$OUT/summary.md"
done
cat "$OUT/summary.md"

gnuplot -e "out='$OUT'; slowdown='$SLOWDOWN'; bandwidths='$BANDWIDTHS'" "$HERE/cascade.gp"
printf '\npicture: %s/cascade.png; frontier: %s/frontier.csv\n' "$OUT" "$OUT"
