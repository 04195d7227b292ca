# shellcheck shell=bash
# The paper's regime, shared by the demo (demo.sh) and the experiments (common.sh): how a real
# trace is scaled into 50 kbit/s - 1.5 Mbit/s, and the rule that chooses the three deadlines
# from the plan sweep. Sourced; needs BIN (the tools) and awk, sort.

## regime_window trace seconds out: the first `seconds` of a trace (header kept)
regime_window() {
  awk -F, -v s="$2" 'NR == 1 || $1 < s' "$1" >"$3"
}

## regime_quantile csv q: the q-quantile (nearest rank) of a trace's bandwidth column, unscaled
regime_quantile() {
  awk -F, 'NR > 1 { print $2 }' "$1" | sort -g |
    awk -v q="$2" '{ v[NR] = $1 } END { r = int(q * NR + 0.999999); if (r < 1) r = 1; print v[r] }'
}

## regime_scale csv top_kbps: the factor that puts the trace's 95th percentile at top_kbps (the
## paper scaled the Belgium 4G/LTE traces into 50 kbit/s - 1.5 Mbit/s); fails on a zero p95
regime_scale() {
  local p95
  p95=$(regime_quantile "$1" 0.95)
  awk -v p="$p95" -v top="$2" 'BEGIN { if (p <= 0) exit 1; printf "%.6g", top / p }'
}

## regime_kbps csv q scale: the q-quantile of the trace times scale (at least 1 kbit/s)
regime_kbps() {
  awk -v q="$(regime_quantile "$1" "$2")" -v k="$3" 'BEGIN { b = q * k; printf "%.1f", (b < 1 ? 1 : b) }'
}

## regime_deadlines lo_kbps hi_kbps rtt_ms planner-args...: "tight middle loose exit first_hi
## first_lo" from the plan sweep (edgent-plan with the planner-args: model, accuracy, fits).
## E = the exit of the most accurate plan at any deadline (at hi_kbps); first_hi / first_lo =
## the smallest deadline (0.05 ms grid) at which the plan at hi_kbps / lo_kbps uses E;
## tight = 1.1 x first_hi (E reachable only on the fast link), loose = 1.1 x first_lo (E
## reachable on the slow link too), middle = their mean. The factor 1.1 keeps each deadline
## 10 % above a predicted latency (the prediction target). Fails when E fits no deadline up
## to 100 ms.
regime_deadlines() {
  local lo=$1 hi=$2 rtt=$3 tmp e first_hi first_lo
  shift 3
  tmp=$(mktemp)
  local rc=0
  "$BIN/edgent-plan" "$@" --bandwidth "$hi" --deadline 1000000 --rtt "$rtt" --quiet -o "$tmp" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || { rm -f "$tmp"; return 1; }
  e=$(jq '.plan.exit' "$tmp")
  first_with_exit() {
    "$BIN/edgent-plan" "$@" --rtt "$rtt" --sweep-deadline 0.05:100:2000 --quiet --csv "$tmp" -o /dev/null &&
      awk -F, -v e="$e" '$3 == "edgent" && $4 == 1 && $5 == e { print $2; exit }' "$tmp"
  }
  first_hi=$(first_with_exit "$@" --bandwidth "$hi")
  first_lo=$(first_with_exit "$@" --bandwidth "$lo")
  rm -f "$tmp"
  [ -n "$first_hi" ] && [ -n "$first_lo" ] || return 1
  awk -v a="$first_hi" -v b="$first_lo" -v e="$e" 'BEGIN {
    t = 1.1 * a; l = 1.1 * b; printf "%.1f %.1f %.1f %s %s %s\n", t, (t + l) / 2, l, e, a, b }'
}
