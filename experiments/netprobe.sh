#!/usr/bin/env bash
# edgent-profile --edge through the testbed: at each tbf rate (NETPROBE_RATES, kbit/s, both
# ways) the device profiles its link to edgent-serve in the edge namespace; the fitted up and
# down rates are compared with the shaped rate (tbf counts IP and TCP headers too, so the
# payload rate is a few percent below it). Then an edge-only plan (every request's input
# crosses the link) is planned from those profiles once with the measured network and once
# with the assumed one (--rtt RTT --bandwidth at the tbf rate), and NETPROBE_REQUESTS real
# requests through the testbed show which predicts the transfer better. Writes
# out/netprobe/: measured.csv, predicted.csv, the profiles and plans, summary.md.
# tbf's 1600-byte bucket lets the first ~1600 bytes of a transfer after an idle gap pass
# unshaped: small transfers beat both predictions, and the fitted intercepts come out negative
# (edgent-plan clamps the fixed cost at 0, so it stays conservative).
. "$(dirname "$0")/common.sh"
DIR=$OUT/netprobe
mkdir -p "$DIR"
NETPROBE_RATES=${NETPROBE_RATES:-8000}
NETPROBE_SIZES=${NETPROBE_SIZES:-1K,4K,16K,64K,256K,1M}
NETPROBE_REPS=${NETPROBE_REPS:-5}
NETPROBE_REQUESTS=${NETPROBE_REQUESTS:-20}
QUICK=(--no-sweep --anchor-points 0 --reps 5 --warmup 2 --quiet)

trap tb_cleanup EXIT
trap 'exit 130' INT TERM
"$BIN/edgent-profile" -m "$MODEL" --role edge "${QUICK[@]}" -o "$DIR/edge.profile.json"
tb_up 1000
tb_serve "$BIN" "$MODEL" "$DIR/port"
echo "tbf_kbps,network,rtt_ms,up_kbps,down_kbps,predicted_net_ms,predicted_total_ms,measured_net_p50_ms,measured_total_p50_ms" \
  >"$DIR/predicted.csv"
echo "tbf_kbps,rtt_median_ms,up_kbps,up_intercept_ms,up_r2,down_kbps,down_intercept_ms,down_r2,up_ratio,down_ratio" \
  >"$DIR/measured.csv"
for kbps in $NETPROBE_RATES; do
  say "netprobe: tbf $kbps kbit/s"
  tb_rate "$kbps"
  p=$DIR/device-$kbps.profile.json
  # The model part as short as it gets: only the network section is of interest here.
  tb_device 0 "$BIN/edgent-profile" -m "$MODEL" --role device "${QUICK[@]}" \
    --edge "http://$TB_EDGE" --net-sizes "$NETPROBE_SIZES" --net-reps "$NETPROBE_REPS" \
    --timeout-ms 60000 -o "$p"
  jq -r --argjson r "$kbps" '.network | [$r, .rtt.median_ms, .up.kbps, .up.intercept_ms, .up.r2,
      .down.kbps, .down.intercept_ms, .down.r2, .up.kbps / $r, .down.kbps / $r] | @csv' "$p" \
    >>"$DIR/measured.csv"
  jq 'del(.network)' "$p" >"$DIR/device-$kbps.no-network.json"
  for how in measured assumed; do
    plan=$DIR/plan-$how-$kbps.json
    if [ $how = measured ]; then
      args=(--device-profile "$p")
    else
      args=(--device-profile "$DIR/device-$kbps.no-network.json" --rtt "$RTT" --bandwidth "$kbps")
    fi
    "$BIN/edgent-plan" --model "$MODEL" --edge-profile "$DIR/edge.profile.json" "${args[@]}" \
      --strategy edge-only --codecs fp32 --deadline 10000 --quiet -o "$plan"
    tb_device 0 "$BIN/edgent-infer" --model "$MODEL" --plan "$plan" --edge "$TB_EDGE" --no-probe \
      --count "$((WARMUP + NETPROBE_REQUESTS))" "${INPUTS[@]}" --quiet -o "$DIR/run-$how-$kbps.jsonl"
    jq -rs --argjson w "$WARMUP" --arg how $how --argjson r "$kbps" --slurpfile p "$plan" '
      def p50: sort | .[(length / 2 | floor)];
      .[$w:] as $x | $p[0] as $q
      | [$r, $how, $q.rtt_ms, $q.up_kbps, $q.down_kbps, ($q.predicted.up_ms + $q.predicted.down_ms),
         $q.predicted.total_ms, ($x | map(.measured.network_ms) | p50),
         ($x | map(.measured.total_ms) | p50)] | @csv' "$DIR/run-$how-$kbps.jsonl" \
      >>"$DIR/predicted.csv"
  done
done
tb_cleanup

{
  echo "# netprobe: edgent-profile --edge through the tbf testbed"
  echo
  printf -- '- machine: %s, %s cores online (shared with other jobs); date %s; load %s\n' \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(nproc)" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- device: the dev namespace at full speed (no CPU quota); edge: edgent-serve, defaults"
  echo "- sizes $NETPROBE_SIZES, $NETPROBE_REPS transfers per size and direction; fitted on the"
  echo "  per-size medians (bytes on the wire, HTTP headers included)"
  echo
  echo '```'
  cat "$DIR/measured.csv"
  echo '```'
  echo
  echo "Edge-only plan (fp32 input up, logits down), $NETPROBE_REQUESTS requests after $WARMUP"
  echo "warm-up ones, planned with the measured network or with --rtt $RTT --bandwidth <tbf rate>:"
  echo
  echo '```'
  cat "$DIR/predicted.csv"
  echo '```'
} >"$DIR/summary.md"
cat "$DIR/summary.md"
