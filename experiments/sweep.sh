#!/usr/bin/env bash
# `sweep.sh bandwidth`: Figs. 6-7 of the paper, the exit and cut Edgent chooses vs bandwidth at
# a fixed deadline; `sweep.sh deadline`: Fig. 8, the same vs deadline at a fixed bandwidth.
# Each point has the predicted latency and the latency measured through the testbed (tbf at
# the point's rate, the plan fixed, REQUESTS requests at REQUEST_RATE/s after WARMUP discarded ones).
# The paper's regime: a device SLOWDOWN times slower than the edge. The bandwidth grid is the
# paper's (50 kbit/s to 1.5 Mbit/s) at the middle deadline of the demo's rule over that range
# (regime.sh); the deadline grid is at the paper's 500 kbit/s and spans half the tight
# deadline to 1.25 times the loose one: the paper's 100-1000 ms fit its 2-second AlexNet on a
# Raspberry Pi, not this model, whose device-only latency is a few tens of ms.
. "$(dirname "$0")/common.sh"
need_fits
KIND=${1:?bandwidth or deadline}
DIR=$OUT/$KIND
mkdir -p "$DIR"
read -r D_TIGHT D_MIDDLE D_LOOSE _ < <(regime_deadlines 50 "$TOP_KBPS" "$RTT" "${FITS[@]}") || {
  say "no exit fits a deadline up to 100 ms at 50-$TOP_KBPS kbit/s"
  exit 1
}
if [ "$KIND" = bandwidth ]; then
  PAPER=(--sweep-bandwidth "${PAPER_GRID:-50:$TOP_KBPS:10}" --deadline "${PAPER_DEADLINE:-$D_MIDDLE}")
  TITLE="chosen exit and cut vs bandwidth (paper Figs. 6-7)"
elif [ "$KIND" = deadline ]; then
  grid=$(awk -v t="$D_TIGHT" -v l="$D_LOOSE" 'BEGIN { printf "%.2f:%.2f:12", 0.5 * t, 1.25 * l }')
  PAPER=(--sweep-deadline "${PAPER_GRID:-$grid}" --bandwidth "${PAPER_BANDWIDTH:-500}")
  TITLE="chosen exit and cut vs deadline (paper Fig. 8)"
else
  say "unknown sweep '$KIND' (bandwidth or deadline)"
  exit 2
fi

start_testbed 1000 "$DIR"
echo "grid,bandwidth_kbps,deadline_ms,exit,cut,order,codec,accuracy,predicted_ms,measured_mean_ms,measured_p50_ms,measured_p95_ms,miss_rate,requests" \
  >"$DIR/$KIND.csv"
grid=paper
args=("${PAPER[@]}")
rc=0
"$BIN/edgent-plan" "${FITS[@]}" "${args[@]}" --rtt "$RTT" \
  --quiet --csv "$DIR/sweep-$grid.csv" -o "$DIR/sweep-$grid.json" || rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || exit $rc
for point in $(awk -F, 'NR > 1 && $3 == "edgent" { print $1 "," $2 }' "$DIR/sweep-$grid.csv"); do
  kbps=${point%,*}
  deadline=${point#*,}
  say "$KIND ($grid): $kbps kbit/s, deadline $deadline ms"
  p=$DIR/$grid-$kbps-$deadline
  plan_at "$kbps" "$deadline" "$p.plan.json"
  measure "$p.plan.json" "$kbps" "$REQUESTS" "$p"
  jq -r --arg g $grid --arg b "$kbps" --slurpfile s "$p.stats.json" \
    '[$g, $b, .deadline_ms, .plan.exit, .plan.cut, .plan.order, .plan.codec, .plan.accuracy,
      .predicted.total_ms, $s[0].mean_ms, $s[0].p50_ms, $s[0].p95_ms, $s[0].miss_rate,
      $s[0].count] | @csv' "$p.plan.json" | tr -d '"' >>"$DIR/$KIND.csv"
done
tb_cleanup

gnuplot -e "dir='$DIR'; kind='$KIND'; grids='paper'; what='branchy AlexNet, Fashion-MNIST; device ${SLOWDOWN}x slower than the edge'" "$HERE/sweep.gp"
{
  echo "# $KIND: $TITLE"
  echo
  machine_md
  echo "- measured: $REQUESTS requests per point at $REQUEST_RATE/s (after $WARMUP discarded) through the tbf"
  echo "  testbed (veth, both directions shaped to the point's rate), the plan fixed; predicted:"
  echo "  edgent-plan with the cached fits, RTT $RTT ms; the demo's deadlines over 50-$TOP_KBPS kbit/s:"
  echo "  tight $D_TIGHT, middle $D_MIDDLE, loose $D_LOOSE ms"
  echo
  echo "![$KIND]($KIND.png)"
  echo
  grid=paper
  awk -F, -v g=$grid 'NR > 1 && $1 == g' "$DIR/$KIND.csv" >"$DIR/.rows"
  if [ "$KIND" = bandwidth ]; then
    echo "## $grid grid: deadline $(awk -F, 'NR == 1 { print $3 }' "$DIR/.rows") ms"
  else
    echo "## $grid grid: bandwidth $(awk -F, 'NR == 1 { print $2 }' "$DIR/.rows") kbit/s"
  fi
  echo
  echo "| kbit/s | deadline ms | exit | cut | order | codec | predicted ms | measured mean ms | p95 ms | missed |"
  echo "|---:|---:|---:|---:|---|---|---:|---:|---:|---:|"
  awk -F, '{ printf "| %.0f | %g | %s | %s | %s | %s | %.2f | %.2f | %.2f | %.0f%% |\n", $2, $3, $4, $5, $6, $7, $9, $10, $12, $13 * 100 }' "$DIR/.rows"
  echo
  if [ "$KIND" = bandwidth ]; then xc=2 unit=kbit/s; else xc=3 unit=ms; fi
  describe_sweep "$DIR/$KIND.csv" $grid $xc $unit
  echo
  plans=$(awk -F, '{ print $4 "/" $5 "/" $6 "/" $7 }' "$DIR/.rows" | sort -u | wc -l)
  echo "Distinct plans (exit/cut/order/codec) across the grid: $plans (the target is 3 or more)."
  echo
  rm -f "$DIR/.rows"
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
