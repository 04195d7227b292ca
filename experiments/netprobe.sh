#!/usr/bin/env bash
# edgent-profile --edge through the testbed: at each tbf rate (NETPROBE_RATES, kbit/s, both
# ways) the device profiles its link to edgent-serve in the edge namespace; the fitted up and
# down rates are compared with the shaped rate (tbf counts IP and TCP headers too, so the
# payload rate is a few percent below it). Writes out/netprobe/: measured.csv, the profiles,
# summary.md.
. "$(dirname "$0")/common.sh"
DIR=$OUT/netprobe
mkdir -p "$DIR"
NETPROBE_RATES=${NETPROBE_RATES:-8000}
NETPROBE_SIZES=${NETPROBE_SIZES:-1K,4K,16K,64K,256K,1M}
NETPROBE_REPS=${NETPROBE_REPS:-5}

trap tb_cleanup EXIT
trap 'exit 130' INT TERM
tb_up 1000
tb_serve "$BIN" "$MODEL" "$DIR/port"
echo "tbf_kbps,rtt_median_ms,up_kbps,up_intercept_ms,up_r2,down_kbps,down_intercept_ms,down_r2,up_ratio,down_ratio" \
  >"$DIR/measured.csv"
for kbps in $NETPROBE_RATES; do
  say "netprobe: tbf $kbps kbit/s"
  tb_rate "$kbps"
  p=$DIR/device-$kbps.profile.json
  # The model part as short as it gets: only the network section is of interest here.
  tb_device 0 "$BIN/edgent-profile" -m "$MODEL" --no-sweep --anchor-points 0 --reps 1 --warmup 0 \
    --edge "http://$TB_EDGE" --net-sizes "$NETPROBE_SIZES" --net-reps "$NETPROBE_REPS" \
    --timeout-ms 60000 --quiet -o "$p"
  jq -r --argjson r "$kbps" '.network | [$r, .rtt.median_ms, .up.kbps, .up.intercept_ms, .up.r2,
      .down.kbps, .down.intercept_ms, .down.r2, .up.kbps / $r, .down.kbps / $r] | @csv' "$p" \
    >>"$DIR/measured.csv"
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
} >"$DIR/summary.md"
cat "$DIR/summary.md"
