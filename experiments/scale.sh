#!/usr/bin/env bash
# Many devices and several edges behind HAProxy, all on loopback: `make -C experiments scale`. In the demo's regime (configs/demo.conf): each
# device is an edgent-infer process whose device runs are SLOWDOWN times slower than this
# machine's core (time dilation), sending RATE requests/s (open loop), each with its own
# emulated link replaying the demo's window of TRACE scaled to TOP_KBPS (--emulate-trace), and
# planning every request from the demo's fits at the demo's middle deadline (the deadline at
# which the demo's plans move between the device and the edge with the bandwidth), folding in
# the edge's reported queueing (load-aware; --no-queue-estimate is load-blind). Each edge is an
# edgent-serve (--threads 1, --max-queue MAX_QUEUE, --agent-port) behind a real haproxy with
# configs/haproxy.cfg (one `server` line per edge).
#
#   scale.sh grid     devices DEVICES (1 8 32 64) x edges EDGES (1 2 3), CELL_SECONDS each:
#                     throughput, deadline-miss rate, on-time accuracy, fraction offloaded,
#                     fallbacks (503s apart) and lost requests per cell -> grid.csv, scale.png
#   scale.sh sim      bench/fleet_sim over the same fits, link, rate, deadline and queue cap:
#                     the grid's cells simulated beside the measured ones (grid.csv), with the
#                     fits as exact and calibrated by the grid's 1-device records, then
#                     SIM_DEVICES x SIM_EDGES with SIM_WORKERS workers per edge (where the edges
#                     saturate) and 1000 devices x 10 edges, load-aware and load-blind -> sim.csv
#   scale.sh faults   FAULT_DEVICES devices x 3 edges for FAULT_SECONDS; edge 2 is SIGKILLed at
#                     KILL_AT s and restarted at RESTART_AT s: lost requests, the detection
#                     window (kill to the last request that failed over or missed because of
#                     it; kill to haproxy's "is DOWN"), misses inside and outside the window
#   scale.sh soak     SOAK_DEVICES devices x 3 edges for SOAK_SECONDS: real errors, lost
#                     requests and each edge's RSS growth (first 10 s against the last 10 s)
#   scale.sh ab       AB_DEVICES devices on one edge, load-aware and load-blind alternated
#                     AB_REPEATS times (ABAB..., same inputs): miss rate and on-time accuracy
#
# What 2 shared cores show: every edge, every device process and haproxy share the same CPUs
# (and other jobs share them too), so more edges add no compute: they only split the queue.
# The emulated devices cost this machine 1/SLOWDOWN of their emulated time, so up to about 64
# of them fit, but the edges are the real thing at full speed and compete with them; above about
# 2 busy edge workers the cells measure contention, not scale-out. The grid shows the
# mechanisms (leastconn spreading, plans moving to the device as the edge queue grows, 503
# fallbacks, no lost request), not throughput per edge on separate machines: that is for the
# simulation (scale.sh sim) to extrapolate.
#
# Settings (environment): DEVICES, EDGES, CELL_SECONDS (10), SIM ($ROOT/build/bench/fleet_sim),
# SIM_DEVICES (100 250 500 1000 2000), SIM_EDGES (1 2 5 10), SIM_WORKERS (2), SIM_SECONDS (20),
# FAULT_DEVICES (16), FAULT_SECONDS (30), KILL_AT (10), RESTART_AT (20), SOAK_DEVICES (64),
# SOAK_SECONDS (60, after SOAK_WARMUP 5 s not counted), AB_DEVICES (32), AB_REPEATS (3),
# AB_SECONDS (20), AB_MAX_QUEUE (0), MAX_QUEUE (8), BASE_PORT (18080: haproxy
# there, edge i on BASE_PORT+i, its agent on BASE_PORT+10+i), DEADLINE (default: the demo's
# middle deadline by the demo's rule), OUT (out/scale), BIN, MODEL, ACCURACY, DATA; SLOWDOWN,
# TRACE, RATE, TOP_KBPS, RTT from configs/demo.conf (DEMO_CONFIG names another file).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/cmd}
OUT=${OUT:-$HERE/out}/scale
MODEL=${MODEL:-$ROOT/models/branchy-alexnet-fmnist.json}
ACCURACY=${ACCURACY:-$ROOT/models/branchy-alexnet-fmnist.accuracy.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
DEVICES=${DEVICES:-1 8 32 64}
EDGES=${EDGES:-1 2 3}
CELL_SECONDS=${CELL_SECONDS:-10}
SIM=${SIM:-$ROOT/build/bench/fleet_sim}
SIM_DEVICES=${SIM_DEVICES:-100 250 500 1000 2000}
SIM_EDGES=${SIM_EDGES:-1 2 5 10}
SIM_WORKERS=${SIM_WORKERS:-2}
SIM_SECONDS=${SIM_SECONDS:-20}
FAULT_DEVICES=${FAULT_DEVICES:-16}
FAULT_SECONDS=${FAULT_SECONDS:-30}
KILL_AT=${KILL_AT:-10}
RESTART_AT=${RESTART_AT:-20}
SOAK_DEVICES=${SOAK_DEVICES:-64}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_WARMUP=${SOAK_WARMUP:-5}
AB_DEVICES=${AB_DEVICES:-32}
AB_REPEATS=${AB_REPEATS:-3}
AB_SECONDS=${AB_SECONDS:-20}
# No queue cap by default: a 503 counts in the device's queue estimate as a wait of its
# Retry-After (1 s), which would make this a test of the cap rather than of the estimate.
AB_MAX_QUEUE=${AB_MAX_QUEUE:-0}
MAX_QUEUE=${MAX_QUEUE:-8}
BASE_PORT=${BASE_PORT:-18080}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
# shellcheck source=experiments/settings.sh
. "$HERE/settings.sh"
load_settings "${DEMO_CONFIG:-$ROOT/configs/demo.conf}"
# shellcheck source=experiments/regime.sh
. "$HERE/regime.sh"

say() { printf 'edgent scale: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

mode=${1:-grid}
case $mode in grid | sim | faults | soak | ab) ;; *) die "usage: scale.sh grid|sim|faults|soak|ab" ;; esac
for tool in jq gnuplot awk; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run 'make deps'"
done
[ -x "$HAPROXY" ] || die "$HAPROXY not found: run 'make deps' (Debian package haproxy)"
[ -x "$BIN/edgent-infer" ] || die "no tools in $BIN: run 'make build' first"
[ -d "$DATA" ] || die "$DATA not found: the Fashion-MNIST test set (make deps)"
if [ ! -f "$TRACE" ]; then
  TRACE=$ROOT/traces/steps-60s.csv
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The demo's fits, link window and middle deadline (made once, cached in OUT).
if [ ! -s "$OUT/device.fit.json" ] || [ ! -s "$OUT/edge.fit.json" ]; then
  say "profiling the edge and the device (${SLOWDOWN}x slower, time dilation), as the demo does"
  demo_fits "$OUT"
fi
FITS=(--accuracy "$ACCURACY" --device-fit "$OUT/device.fit.json" --edge-fit "$OUT/edge.fit.json")
regime_window "$TRACE" 60 "$OUT/window.csv"
SCALE=$(regime_scale "$OUT/window.csv" "$TOP_KBPS") || die "the window's 95th percentile is 0"
B_LO=$(regime_kbps "$OUT/window.csv" 0.05 "$SCALE")
B_HI=$(regime_kbps "$OUT/window.csv" 0.95 "$SCALE")
B_MEAN=$(awk -F, -v k="$SCALE" 'NR > 1 { n++; s += $2 } END { printf "%.1f", s / n * k }' "$OUT/window.csv")
if [ -z "${DEADLINE:-}" ]; then
  if [ ! -s "$OUT/deadline.txt" ]; then
    read -r _ middle _ < <(regime_deadlines "$B_LO" "$B_HI" "$RTT" --model "$MODEL" "${FITS[@]}") ||
      die "no deadline rule result"
    echo "$middle" >"$OUT/deadline.txt"
  fi
  DEADLINE=$(cat "$OUT/deadline.txt")
fi
say "device ${SLOWDOWN}x slower (time dilation), $RATE requests/s each, link ${TRACE#"$ROOT"/} x$SCALE ($B_LO-$B_HI kbit/s), deadline $DEADLINE ms (the demo's middle)"

CAVEAT="all edges, devices and haproxy share this machine's $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg) at the start): more edges split the queue but add no compute, so cells with many devices measure CPU contention, not scale-out; see experiments/README.md"

pids=()
lb_pid=
cleanup() {
  for p in "${pids[@]}" $lb_pid; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" $lb_pid; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

## port_free port: nothing accepts on 127.0.0.1:port (a process left from another run would
## take this run's requests)
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

## wait_port port: until something accepts on 127.0.0.1:port (10 s)
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

declare -A edge_pid=()
## start_edge dir i [max_queue]: edgent-serve i on BASE_PORT+i with its agent on BASE_PORT+10+i,
## --max-queue MAX_QUEUE unless given
start_edge() {
  local dir=$1 i=$2 cap=${3:-$MAX_QUEUE}
  port_free $((BASE_PORT + i)) && port_free $((BASE_PORT + 10 + i)) ||
    die "port $((BASE_PORT + i)) or $((BASE_PORT + 10 + i)) is taken: set BASE_PORT to free ones"
  "$BIN/edgent-serve" -m "$MODEL" --port $((BASE_PORT + i)) --threads 1 --max-queue "$cap" \
    --agent-port $((BASE_PORT + 10 + i)) --quiet 2>>"$dir/edge$i.log" &
  edge_pid[$i]=$!
  pids+=($!)
  wait_port $((BASE_PORT + i)) && kill -0 "${edge_pid[$i]}" 2>/dev/null ||
    die "edgent-serve $i did not start: $(cat "$dir/edge$i.log")"
}

## start_lb dir n [log]: haproxy with configs/haproxy.cfg and one server line per edge; its
## stderr (health-check changes; with `log` a line per request) in dir/haproxy.log, each line
## prefixed with the Unix time it came
start_lb() {
  local dir=$1 n=$2 i
  port_free "$BASE_PORT" || die "port $BASE_PORT is taken: set BASE_PORT to a free one"
  local log=(-e '/^ *server edge/d')
  if [ "${3:-}" = log ]; then  # one line per request: accept time, server, status, retries
    log+=(-e '/^global/a\    log stderr format raw local0'
          -e '/^defaults/a\    log global\n    log-format "request %Ts.%ms %b/%s %ST %rc %tsc %Ta"')
  fi
  {
    sed "${log[@]}" "$ROOT/configs/haproxy.cfg"
    for i in $(seq "$n"); do
      # shellcheck disable=SC2016 # haproxy expands "${EDGEi}" from its environment
      printf '    server edge%d "${EDGE%d}" agent-check agent-port "${EDGE%d_AGENT}" agent-inter 500ms\n' "$i" "$i" "$i"
    done
  } >"$dir/haproxy.cfg"
  local env=(EDGENT_LB="127.0.0.1:$BASE_PORT")
  for i in $(seq "$n"); do
    env+=("EDGE$i=127.0.0.1:$((BASE_PORT + i))" "EDGE${i}_AGENT=$((BASE_PORT + 10 + i))")
  done
  env "${env[@]}" "$HAPROXY" -f "$dir/haproxy.cfg" -db 2> >(
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$dir/haproxy.log") \
    >/dev/null &
  lb_pid=$!
  wait_port "$BASE_PORT" && kill -0 "$lb_pid" 2>/dev/null ||
    die "haproxy did not start: $(cat "$dir/haproxy.log")"
  sleep 1.2  # the edges pass their first health checks (2 x 500 ms)
}

stop_all() {
  for p in "${pids[@]}" $lb_pid; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" $lb_pid; do wait "$p" 2>/dev/null || true; done
  pids=()
  lb_pid=
}

## run_devices dir d seconds [edgent-infer args]: d devices at once, device j on inputs
## j*count.., each RATE requests/s for `seconds` against DEVICE_EDGE (haproxy); waits for all
DEVICE_EDGE=127.0.0.1:$BASE_PORT
run_devices() {
  local dir=$1 d=$2 seconds=$3 j count devs=()
  shift 3
  count=$(awk -v s="$seconds" -v r="$RATE" 'BEGIN { printf "%d", s * r }')
  for j in $(seq 0 $((d - 1))); do
    "$BIN/edgent-infer" --model "$MODEL" "${FITS[@]}" --deadline "$DEADLINE" --data "$DATA" \
      --count "$count" --offset $(((j * count) % (10000 - count))) --rate "$RATE" \
      --edge "$DEVICE_EDGE" --slowdown "$SLOWDOWN" --bandwidth "$B_MEAN" --rtt "$RTT" \
      --quiet -o "$dir/device$j.jsonl" --summary "$dir/device$j.summary.json" "$@" \
      2>"$dir/device$j.log" &
    devs+=($!)
  done
  local rc=0
  for p in "${devs[@]}"; do wait "$p" || rc=1; done
  [ "$rc" = 0 ] || die "a device failed: $(cat "$dir"/device*.log | head -5)"
  for j in $(seq 0 $((d - 1))); do  # every input has exactly one record
    [ "$(wc -l <"$dir/device$j.jsonl")" = "$count" ] || say "device $j: $(wc -l <"$dir/device$j.jsonl") records for $count inputs"
  done
}
EMULATED=(--emulate-trace "$OUT/window.csv" --trace-scale "$SCALE")

## cell_figures dir d: "requests req_s miss_rate on_time offloaded fallbacks busy lost p95_ms"
## over the devices' summaries and records
cell_figures() {
  local dir=$1 d=$2 expected
  expected=$(awk -v s="$3" -v r="$RATE" -v d="$d" 'BEGIN { printf "%d", d * int(s * r) }')
  jq -s -r --argjson expected "$expected" --slurpfile recs <(cat "$dir"/device*.jsonl | jq -s 'map(.measured.total_ms) | sort') '
    (map(.count) | add) as $n | (map(.labelled) | add) as $l
    | [$n, ($n / (map(.elapsed_s) | max)),
       ((map(.deadline_misses) | add) / $n),
       ((map(.on_time_accuracy * .labelled) | add) / $l),
       ((map(.offloaded) | add) / $n),
       (map(.fallbacks) | add), (map(.busy_fallbacks) | add),
       ($expected - ([$recs[0] | length] | add)),
       ($recs[0][(($recs[0] | length) * 0.95 | floor)])]
    | map(tostring) | join(" ")' "$dir"/device*.summary.json
}

grid() {
  local csv=$OUT/grid.csv d n dir
  echo "devices,edges,requests,req_s,miss_rate,on_time_accuracy,offloaded,fallbacks,busy_fallbacks,lost,p95_ms" >"$csv"
  printf '%7s %5s %8s %7s %6s %8s %9s %9s %5s %4s %7s\n' devices edges requests req/s miss on-time \
    offloaded fallbacks '(503)' lost p95-ms
  for d in $DEVICES; do
    for n in $EDGES; do
      dir=$OUT/grid/d$d-e$n
      rm -rf "$dir"
      mkdir -p "$dir"
      for i in $(seq "$n"); do start_edge "$dir" "$i"; done
      start_lb "$dir" "$n"
      run_devices "$dir" "$d" "$CELL_SECONDS" "${EMULATED[@]}"
      stop_all
      read -r requests rps miss ontime off fb busy lost p95 < <(cell_figures "$dir" "$d" "$CELL_SECONDS")
      echo "$d,$n,$requests,$rps,$miss,$ontime,$off,$fb,$busy,$lost,$p95" >>"$csv"
      awk -v d="$d" -v n="$n" -v q="$requests" -v r="$rps" -v m="$miss" -v o="$ontime" -v f="$off" \
        -v fb="$fb" -v b="$busy" -v l="$lost" -v p="$p95" 'BEGIN {
        printf "%7d %5d %8d %7.1f %5.1f%% %7.1f%% %8.1f%% %9d %5d %4d %7.1f\n", d, n, q, r, m * 100, o * 100, f * 100, fb, b, l, p }'
    done
  done
  gnuplot -e "csv='$csv'; out='$OUT/scale.png'; title='$(printf '%s devices x %s edges behind HAProxy on loopback, %s req/s each, deadline %s ms, device %sx slower' "${DEVICES// /,}" "${EDGES// /,}" "$RATE" "$DEADLINE" "$SLOWDOWN")'" "$HERE/scale.gp"
  printf '\ncaveat: %s\n' "$CAVEAT"
  printf 'each cell: %s s of requests per device; on-time accuracy = correct and within the deadline over all requests;\n' "$CELL_SECONDS"
  printf 'fallbacks: requests the device finished alone after an edge failure, (503) those on an edge at its cap (--max-queue %s);\n' "$MAX_QUEUE"
  printf 'lost: inputs without a record (must be 0).\nCSV: %s, picture: %s/scale.png\n' "$csv" "$OUT"
}

## faults: 3 edges, FAULT_DEVICES devices on an unshaped loopback link (each record's start is
## then a Unix time: --link-trace of a constant trace from the run's start), edge 2 SIGKILLed at
## KILL_AT s and restarted at RESTART_AT s
faults() {
  local dir=$OUT/faults d=$FAULT_DEVICES t0 kill_t restart_t
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 't_s,bandwidth_kbps\n0,1000000\n3600,1000000\n' >"$dir/clock.csv"
  for i in 1 2 3; do start_edge "$dir" "$i"; done
  start_lb "$dir" 3 log
  t0=$EPOCHREALTIME
  run_devices "$dir" "$d" "$FAULT_SECONDS" --link-trace "$dir/clock.csv" --link-trace-start "$t0" &
  local devices=$!
  sleep "$KILL_AT"
  kill -KILL "${edge_pid[2]}"
  { wait "${edge_pid[2]}"; } 2>/dev/null || true
  kill_t=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
  sleep $((RESTART_AT - KILL_AT))
  start_edge "$dir" 2
  restart_t=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
  wait "$devices" || die "the devices failed"
  stop_all
  local count expected
  count=$(awk -v s="$FAULT_SECONDS" -v r="$RATE" 'BEGIN { printf "%d", s * r }')
  expected=$((count * d))
  # haproxy's own view: when it marked edge2 DOWN and UP again (its stderr, timed on arrival).
  local down_t up_t
  # The balancer's view of the fault: the requests after the kill that it had to retry or
  # could not answer (retries > 0, a 5xx or no status); the window ends when the last ends.
  local lb_window lb_hit
  read -r lb_window lb_hit < <(awk -v t0="$t0" -v kill="$kill_t" '
    $2 == "request" { t = $3 - t0; rc = $6; sub(/^\+/, "", rc)
      if (t >= kill && (rc + 0 > 0 || $5 + 0 >= 500 || $5 + 0 <= 0)) {
        n++; e = t + $8 / 1000 - kill; if (e > w) w = e } }
    END { printf "%.3f %d\n", w, n }' "$dir/haproxy.log")
  down_t=$(awk -v t0="$t0" '/edges\/edge2 is DOWN/ { printf "%.3f", $1 - t0; exit }' "$dir/haproxy.log")
  up_t=$(awk -v t0="$t0" '/edges\/edge2 is UP/ { printf "%.3f", $1 - t0; exit }' "$dir/haproxy.log")
  cat "$dir"/device*.jsonl | jq -s -r --argjson kill "$kill_t" --argjson restart "$restart_t" \
    --argjson down "${down_t:-null}" --argjson up "${up_t:-null}" --argjson expected "$expected" \
    --argjson window "$lb_window" --argjson retried "$lb_hit" '
    def ms: . * 1000 | round;
    def rate($n; $m): if $n == 0 then "-" else "\($m)/\($n) = \($m / $n * 1000 | round / 10)%" end;
    (map(select(.fallback and (.edge_busy | not)))) as $failed
    | (map(select(.fallback and .edge_busy))) as $busy
    | map(select(.trace_t_s < $kill)) as $before
    | map(select(.trace_t_s >= $kill and .trace_t_s <= $kill + $window)) as $inside
    | map(select(.trace_t_s > $kill + $window)) as $after
    | "records: \(length) for \($expected) inputs (\([.[] | .id] | unique | length) distinct input ids); lost: \($expected - length)",
      "edge2 SIGKILLed at \($kill) s, restarted at \($restart) s (run time)",
      "haproxy: edge2 DOWN \(if $down == null then "never logged" else "\(($down - $kill) | ms) ms after the kill" end), UP \(if $up == null then "never logged" else "\(($up - $restart) | ms) ms after the restart" end)",
      "fallbacks: \($failed | length) on an edge failure (\([$failed[] | .fallback_reason] | unique | join("; "))), \($busy | length) on a 503",
      "haproxy: detection window \($window | ms) ms (kill to the end of the last of the \($retried) requests it retried on another edge or could not answer)",
      "devices: \([$failed[] | select(.trace_t_s >= $kill)] | length) fell back on an edge failure after the kill",
      "misses before the kill: \(rate($before | length; $before | map(select(.deadline_met | not)) | length))",
      "misses inside the window: \(rate($inside | length; $inside | map(select(.deadline_met | not)) | length))",
      "misses after the window: \(rate($after | length; $after | map(select(.deadline_met | not)) | length))"'
  [ -n "$down_t" ] || say "haproxy did not log edge2 DOWN: see $dir/haproxy.log"
  printf 'caveat: %s\n' "$CAVEAT"
  printf 'devices: %s on unshaped loopback (no emulated link: each record starts at a known time), %s s at %s req/s each\n' "$d" "$FAULT_SECONDS" "$RATE"
  printf 'misses before the kill come from the loaded machine, not from the fault: compare the rates\n'
  printf 'records: %s/device*.jsonl, haproxy log: %s/haproxy.log\n' "$dir" "$dir"
}

## rss_sampler pid file: the process's VmRSS (kB) each second, "t_s kB" lines, until it exits
rss_sampler() {
  local t0=$EPOCHREALTIME
  while kill -0 "$1" 2>/dev/null; do
    awk -v t="$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { print a - b }')" \
      '/^VmRSS:/ { print t, $2 }' "/proc/$1/status" 2>/dev/null >>"$2" || true
    sleep 1
  done
}

## soak: SOAK_DEVICES devices x 3 edges for SOAK_SECONDS: real errors, lost, each edge's RSS
soak() {
  local dir=$OUT/soak d=$SOAK_DEVICES i fail=0
  rm -rf "$dir"
  mkdir -p "$dir"
  for i in 1 2 3; do start_edge "$dir" "$i"; done
  start_lb "$dir" 3
  # A warm-up wave, not counted: the edges load the segments the plans ask for on first use.
  mkdir -p "$dir/warmup"
  run_devices "$dir/warmup" "$d" "$SOAK_WARMUP" "${EMULATED[@]}"
  for i in 1 2 3; do rss_sampler "${edge_pid[$i]}" "$dir/edge$i.rss" & done
  run_devices "$dir" "$d" "$SOAK_SECONDS" "${EMULATED[@]}"
  stop_all
  read -r requests rps miss ontime off fb busy lost p95 < <(cell_figures "$dir" "$d" "$SOAK_SECONDS")
  printf '%s devices x 3 edges, %s s: %s requests, %.1f req/s, miss %.1f%%, on-time accuracy %.1f%%, offloaded %.1f%%\n' \
    "$d" "$SOAK_SECONDS" "$requests" "$rps" "$(awk -v m="$miss" 'BEGIN { print m * 100 }')" \
    "$(awk -v m="$ontime" 'BEGIN { print m * 100 }')" "$(awk -v m="$off" 'BEGIN { print m * 100 }')"
  local errors=$((fb - busy))
  printf 'real errors (fallbacks on an edge failure): %s %s\n' "$errors" "$([ "$errors" = 0 ] && echo ok || echo FAIL)"
  printf '503 fallbacks (the edges at --max-queue %s, intended): %s\n' "$MAX_QUEUE" "$busy"
  printf 'lost requests: %s %s\n' "$lost" "$([ "$lost" = 0 ] && echo ok || echo FAIL)"
  [ "$errors" = 0 ] && [ "$lost" = 0 ] || fail=1
  for i in 1 2 3; do
    # The first 10 s of samples against the last 10 s (the sampler's clock).
    read -r first last growth < <(awk '
      { t[NR] = $1; kb[NR] = $2; if ($1 > end) end = $1 }
      END { for (j = 1; j <= NR; j++) {
              if (t[j] < 10) { a += kb[j]; na++ }
              if (t[j] > end - 10) { b += kb[j]; nb++ } }
            if (na == 0 || nb == 0) { print 0, 0, 0; exit }
            printf "%.0f %.0f %.2f\n", a / na, b / nb, (b / nb - a / na) / (a / na) * 100 }' "$dir/edge$i.rss")
    local verdict=ok
    awk -v g="$growth" 'BEGIN { exit !(g < 10) }' || { verdict=FAIL; fail=1; }
    printf 'edge%s RSS: %s kB (first 10 s) -> %s kB (last 10 s): %+.2f%% %s\n' "$i" "$first" "$last" "$growth" "$verdict"
  done
  printf 'caveat: %s\n' "$CAVEAT"
  printf 'targets: 0 real errors, 0 lost, each edge RSS growth < 10 %%: %s\n' "$([ "$fail" = 0 ] && echo met || echo NOT met)"
  status=$fail
}

## ab: AB_DEVICES devices on one edge, load-aware (A) and load-blind (B, --no-queue-estimate)
## alternated AB_REPEATS times on the same inputs, a fresh edge per run
ab() {
  local csv=$OUT/ab.csv r arm dir
  echo "repeat,arm,requests,miss_rate,on_time_accuracy,offloaded,busy_fallbacks,p95_ms" >"$csv"
  DEVICE_EDGE=127.0.0.1:$((BASE_PORT + 1))
  printf '%6s %-11s %8s %6s %8s %9s %5s %7s\n' repeat arm requests miss on-time offloaded 503s p95-ms
  for r in $(seq "$AB_REPEATS"); do
    for arm in aware blind; do
      dir=$OUT/ab/$r-$arm
      rm -rf "$dir"
      mkdir -p "$dir"
      start_edge "$dir" 1 "$AB_MAX_QUEUE"
      if [ "$arm" = aware ]; then
        run_devices "$dir" "$AB_DEVICES" "$AB_SECONDS" "${EMULATED[@]}"
      else
        run_devices "$dir" "$AB_DEVICES" "$AB_SECONDS" "${EMULATED[@]}" --no-queue-estimate
      fi
      stop_all
      read -r requests rps miss ontime off fb busy lost p95 < <(cell_figures "$dir" "$AB_DEVICES" "$AB_SECONDS")
      echo "$r,$arm,$requests,$miss,$ontime,$off,$busy,$p95" >>"$csv"
      awk -v r="$r" -v a="$arm" -v q="$requests" -v m="$miss" -v o="$ontime" -v f="$off" -v b="$busy" -v p="$p95" \
        'BEGIN { printf "%6d %-11s %8d %5.1f%% %7.1f%% %8.1f%% %5d %7.1f\n", r, (a == "aware" ? "load-aware" : "load-blind"), q, m * 100, o * 100, f * 100, b, p }'
    done
  done
  awk -F, 'NR > 1 { n[$2]++; m[$2] += $4; o[$2] += $5; m2[$2] += $4 * $4; o2[$2] += $5 * $5 }
    END { for (a in n) {
            sm = sqrt((m2[a] - m[a] * m[a] / n[a]) / (n[a] > 1 ? n[a] - 1 : 1));
            so = sqrt((o2[a] - o[a] * o[a] / n[a]) / (n[a] > 1 ? n[a] - 1 : 1));
            printf "%s: mean miss rate %.1f%% (sd %.1f), mean on-time accuracy %.1f%% (sd %.1f) over %d runs\n",
              (a == "aware" ? "load-aware" : "load-blind"), m[a] / n[a] * 100, sm * 100, o[a] / n[a] * 100, so * 100, n[a] } }' "$csv" | sort
  printf 'caveat: %s\n' "$CAVEAT"
  printf '%s devices straight to one edge (--max-queue %s), %s s per run, runs alternated so machine noise hits both arms; CSV: %s\n' \
    "$AB_DEVICES" "$AB_MAX_QUEUE" "$AB_SECONDS" "$csv"
}

sim() {
  [ -x "$SIM" ] || die "$SIM not found: build the target fleet_sim (ninja -C build fleet_sim)"
  local common=(--model "$MODEL" "${FITS[@]}" --deadline "$DEADLINE" --trace "$OUT/window.csv"
                --trace-scale "$SCALE" --rtt "$RTT" --rate "$RATE" --max-queue "$MAX_QUEUE")
  local measured=() residuals=() calibrated=() f
  [ -s "$OUT/grid.csv" ] && measured=(--measured "$OUT/grid.csv")
  # The grid's one-device cells queue nowhere: their records give the latency model's error on
  # this machine per request (measured / predicted per part), which calibrated runs draw from.
  for f in "$OUT"/grid/d1-e*/device*.jsonl; do
    [ -s "$f" ] && residuals+=("$f")
  done
  [ ${#residuals[@]} -gt 0 ] && calibrated=(--residuals "${residuals[@]}")
  printf 'fleet simulation over the fits in %s: devices %sx slower, %s req/s each, link x%s, deadline %s ms, --max-queue %s, leastconn\n' \
    "$OUT" "$SLOWDOWN" "$RATE" "$SCALE" "$DEADLINE" "$MAX_QUEUE"
  printf '\n1. the grid'"'"'s cells (1 worker per edge, %s s), the fits taken as exact%s\n' "$CELL_SECONDS" \
    "$([ ${#measured[@]} -gt 0 ] && echo ", the measured cell beside (make -C experiments scale)")"
  "$SIM" "${common[@]}" --workers 1 --seconds "$CELL_SECONDS" --devices "$DEVICES" --edges "$EDGES" \
    "${measured[@]}"
  printf 'At 1 device neither side queues: the gap there is the fitted model'"'"'s error on this machine.\n'
  if [ ${#calibrated[@]} -gt 0 ]; then
    printf '\n1b. the same cells calibrated: each simulated request'"'"'s device, edge and link parts scaled by\n'
    printf 'the ratios measured / predicted of one real request drawn from the grid'"'"'s 1-device cells (%s\n' "${#residuals[@]}"
    printf 'record files). They bring the miss rates to the measured ones'"'"' level, not to each cell: the\n'
    printf 'simulation plans at the true bandwidth where the devices plan at their estimate, so a drawn\n'
    printf 'request'"'"'s ratios can land on another plan than the one they were measured on; and it gives\n'
    printf 'each edge its own CPUs, the measured cells do not (%s).\n' "$CAVEAT"
    "$SIM" "${common[@]}" --workers 1 --seconds "$CELL_SECONDS" --devices "$DEVICES" --edges "$EDGES" \
      "${measured[@]}" "${calibrated[@]}"
  else
    printf 'No 1-device records in %s/grid (make -C experiments scale): no calibrated runs.\n' "$OUT"
  fi
  printf '\n2. extrapolation: %s workers per edge (edgent-serve'"'"'s default), %s s, load-aware devices, the fits\n' \
    "$SIM_WORKERS" "$SIM_SECONDS"
  printf 'taken as exact (1b does not reproduce the measured cells closely enough to carry this far)\n'
  "$SIM" "${common[@]}" --workers "$SIM_WORKERS" --seconds "$SIM_SECONDS" --devices "$SIM_DEVICES" \
    --edges "$SIM_EDGES" --csv "$OUT/sim.csv"
  printf 'An edge saturates where its utilisation stops growing (about 70-75 %%: the devices move their plans\n'
  printf 'to the device as the queue they see grows) and the fraction offloaded falls below the low-load one.\n'
  printf '\n3. 1000 devices x 5 and 10 edges, load-blind (--no-queue-estimate), beside the load-aware rows above\n'
  "$SIM" "${common[@]}" --workers "$SIM_WORKERS" --seconds "$SIM_SECONDS" --devices 1000 --edges "5 10" \
    --load-blind
  printf '\nCSV: %s/sim.csv\n' "$OUT"
}

# The mode runs in this shell (not in a pipeline's subshell), so that the EXIT trap stops every
# process it started, also after a failure; its output goes to OUT/<mode>.txt as well.
exec 3>&1 > >(tee "$OUT/$mode.txt")
tee_pid=$!
status=0
case $mode in
  grid) grid ;;
  sim) sim ;;
  faults) faults ;;
  soak) soak ;;
  ab) ab ;;
esac
exec >&3 3>&-
wait "$tee_pid" 2>/dev/null || true  # the output is complete before the script ends
exit "$status"
