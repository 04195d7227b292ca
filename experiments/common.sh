# shellcheck shell=bash
# Shared settings and helpers of the experiment scripts (sourced, not run). The settings come
# from configs/testbed.conf; every one can be overridden from the environment or the make
# command line (make -C experiments X VAR=...).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/cmd}
OUT=${OUT:-$HERE/out}
MODEL=${MODEL:-$ROOT/models/branchy-alexnet-fmnist.json}
ACCURACY=${ACCURACY:-$ROOT/models/branchy-alexnet-fmnist.accuracy.json}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
# SLOWDOWN, LINK_BURST, TOP_KBPS, RTT, REQUESTS, REQUEST_RATE, WARMUP: configs/testbed.conf
# (EXPERIMENTS_CONFIG names another file), each documented there.
# shellcheck source=experiments/settings.sh
. "$HERE/settings.sh"
load_settings "${EXPERIMENTS_CONFIG:-$ROOT/configs/testbed.conf}"
for setting in SLOWDOWN LINK_BURST TOP_KBPS RTT REQUESTS REQUEST_RATE WARMUP; do
  [ -n "${!setting:-}" ] || { printf 'edgent experiments: %s is not set (configs/testbed.conf)\n' "$setting" >&2; exit 2; }
done
COMMON=${COMMON:-$OUT/common}     # cached profiles and fits
INPUTS=(--data "$DATA")           # edgent-infer's inputs (labelled Fashion-MNIST test images)

# shellcheck source=experiments/testbed.sh
. "$HERE/testbed.sh"
# shellcheck source=experiments/regime.sh
. "$HERE/regime.sh"

say() { printf 'edgent experiments: %s\n' "$*" >&2; }

# The planner's model inputs, from the cached fits (made by `make -C experiments profiles`).
FITS=(--model "$MODEL" --accuracy "$ACCURACY" --device-fit "$COMMON/device.fit.json"
      --edge-fit "$COMMON/edge.fit.json")

## need_fits: fail clearly when the cached fits are missing
need_fits() {
  for f in "$COMMON/device.fit.json" "$COMMON/edge.fit.json"; do
    [ -s "$f" ] || { say "$f missing: run 'make -C experiments profiles' first"; exit 1; }
  done
}

## machine_md: the Markdown lines naming the machine, the emulated device and the date
machine_md() {
  local cpu cores
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  cores=$(nproc)
  printf -- '- machine: %s, %s cores online (shared with other jobs), %s\n' "$cpu" "$cores" "$(uname -r)"
  printf -- '- device: this machine'"'"'s core slowed down %sx by time dilation (--slowdown: every device run\n' "$SLOWDOWN"
  printf '  is held to %s times its CPU time); edge: this machine at full speed, one worker thread\n' "$SLOWDOWN"
  printf -- '- model: %s; fits: %s\n' "${MODEL#"$ROOT"/}" "${COMMON#"$ROOT"/}"
  printf -- '- date: %s; load average when the summary was written: %s (other jobs share the CPUs;\n' \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  above 2 the edge and the device wait for a core)\n'
}

## plan_at kbps deadline out [strategy]: edgent-plan at one point; a plan that misses the
## deadline (exit 3) is kept: it is the fastest plan
plan_at() {
  local rc=0
  "$BIN/edgent-plan" "${FITS[@]}" --bandwidth "$1" --deadline "$2" --rtt "$RTT" \
    --strategy "${4:-edgent}" --quiet -o "$3" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || return "$rc"
}

## measure plan kbps count prefix [extra edgent-infer args]: WARMUP + count requests at
## REQUEST_RATE in one edgent-infer run, the plan fixed, through the testbed at a fixed tbf rate (needs tb_up
## and tb_serve first); writes prefix.jsonl, prefix.summary.json (all requests) and
## prefix.stats.json over the last count requests (the first WARMUP ones load the edge's
## segments): {count, mean_ms, p50_ms, p95_ms, miss_rate, accuracy, correct_in_time}
measure() {
  local plan=$1 kbps=$2 count=$3 prefix=$4
  shift 4
  tb_rate "$kbps"
  tb_device 0 "$BIN/edgent-infer" --model "$MODEL" --plan "$plan" --slowdown "$SLOWDOWN" \
    --count "$((WARMUP + count))" --rate "$REQUEST_RATE" --edge "$TB_EDGE" --no-probe --quiet \
    "${INPUTS[@]}" "$@" \
    -o "$prefix.jsonl" --summary "$prefix.summary.json" 2>/dev/null
  jq -s --argjson w "$WARMUP" '.[$w:] as $r | ($r | map(.measured.total_ms) | sort) as $l
    | ($r | map(select(.label != null))) as $lab
    | {count: ($r | length), mean_ms: ($l | add / length), p50_ms: $l[(($l | length) / 2 | floor)],
       p95_ms: $l[(($l | length) * 0.95 | floor)],
       miss_rate: (($r | map(select(.deadline_met | not)) | length) / ($r | length)),
       accuracy: (if ($lab | length) > 0 then ($lab | map(select(.correct)) | length) / ($lab | length) else null end),
       correct_in_time: (if ($lab | length) > 0 then ($lab | map(select(.correct and .deadline_met)) | length) / ($lab | length) else null end)}' \
    "$prefix.jsonl" >"$prefix.stats.json"
}

## start_testbed kbps: root check, namespaces, shaping and edgent-serve; cleanup on exit
start_testbed() {
  tb_require_root || exit 1
  trap tb_cleanup EXIT
  trap 'exit 130' INT TERM
  tb_up "$1" 2>/dev/null
  tb_serve "$BIN" "$MODEL" "$2/port" --threads 1
}

## describe_sweep csv grid xcol xunit: sentences on a sweep table of sweep.sh/bigmodel.sh
## (grid,bandwidth_kbps,deadline_ms,exit,cut,order,codec,accuracy,predicted_ms,mean,p50,p95,
## miss,requests): the ranges over which each plan was chosen, predicted vs measured latency
describe_sweep() {
  awk -F, -v g="$2" -v xc="$3" -v u="$4" '
    $1 != g { next }
    { x = $xc + 0; plan = "exit " $4 ", cut " $5 " (" $6 ", " $7 ")"
      if ($7 == "none") plan = "exit " $4 " on the device only (cut " $5 ")"
      else if ($5 == 0 && $6 == "device-first") plan = "exit " $4 " on the edge only (" $7 " input)"
      if (plan != last) { k++; p[k] = plan; lo[k] = x; last = plan }
      hi[k] = x; n++
      if (pmin == "" || $9 < pmin) pmin = $9; if ($9 > pmax) pmax = $9
      if (mmin == "" || $10 < mmin) mmin = $10; if ($10 > mmax) mmax = $10
      r = $10 / $9; ratio[n] = r; missed += ($13 > 0); miss += $13 }
    END {
      if (n == 0) exit
      printf "Edgent chose %d plan%s over the %d points:", k, (k > 1 ? "s" : ""), n
      for (i = 1; i <= k; i++) printf " %s at %g%s%s;", p[i], lo[i], (hi[i] != lo[i]) ? "-" hi[i] : "", " " u
      printf " predicted latency %.2f-%.2f ms, measured mean %.2f-%.2f ms", pmin, pmax, mmin, mmax
      # median measured/predicted ratio (insertion sort: n is small)
      for (i = 2; i <= n; i++) { v = ratio[i]; j = i - 1; while (j > 0 && ratio[j] > v) { ratio[j + 1] = ratio[j]; j-- } ratio[j + 1] = v }
      printf " (median measured/predicted %.2f); measured deadline misses at %d of %d points (%.0f%% of requests overall).\n",
        ratio[int((n + 1) / 2)], missed, n, miss / n * 100 }' "$1"
}

## all_feasible sweep.csv: "yes" when every row of an edgent-plan --csv sweep is feasible
all_feasible() {
  awk -F, 'NR > 1 && $4 != 1 { bad = 1 } END { print bad ? "no" : "yes" }' "$1"
}
