#!/usr/bin/env bash
# `sweep.sh bandwidth`: Figs. 6-7 of the paper, the exit and cut Edgent chooses vs bandwidth at
# a fixed deadline; `sweep.sh deadline`: Fig. 8, the same vs deadline at a fixed bandwidth.
# Each point has the predicted latency and the latency measured through the testbed (tbf at
# the point's rate, the plan fixed, REQUESTS closed-loop requests after WARMUP discarded ones).
# Two grids each: the paper's (bandwidth: 50 kbps to 1.5 Mbps at 1000 ms; deadline: 100 to
# 1000 ms at 500 kbps) and one scaled to this ~1 ms model, where transfer and compute compare.
. "$(dirname "$0")/common.sh"
need_fits
KIND=${1:?bandwidth or deadline}
DIR=$OUT/$KIND
mkdir -p "$DIR"
if [ "$KIND" = bandwidth ]; then
  PAPER=(--sweep-bandwidth "${PAPER_GRID:-50:1500:8}" --deadline "${PAPER_DEADLINE:-1000}")
  SCALED=(--sweep-bandwidth "${SCALED_GRID:-1000:50000:8}" --deadline "${SCALED_DEADLINE:-2}")
  TITLE="chosen exit and cut vs bandwidth (paper Figs. 6-7)"
elif [ "$KIND" = deadline ]; then
  PAPER=(--sweep-deadline "${PAPER_GRID:-100:1000:10}" --bandwidth "${PAPER_BANDWIDTH:-500}")
  SCALED=(--sweep-deadline "${SCALED_GRID:-0.5:10:20}" --bandwidth "${SCALED_BANDWIDTH:-5000}")
  TITLE="chosen exit and cut vs deadline (paper Fig. 8)"
else
  say "unknown sweep '$KIND' (bandwidth or deadline)"
  exit 2
fi

start_testbed 1000 "$DIR"
echo "grid,bandwidth_kbps,deadline_ms,exit,cut,order,codec,accuracy,predicted_ms,measured_mean_ms,measured_p50_ms,measured_p95_ms,miss_rate,requests" \
  >"$DIR/$KIND.csv"
for grid in paper scaled; do
  if [ $grid = paper ]; then args=("${PAPER[@]}"); else args=("${SCALED[@]}"); fi
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
done
tb_cleanup

gnuplot -e "dir='$DIR'; kind='$KIND'" "$HERE/sweep.gp"
{
  echo "# $KIND: $TITLE"
  echo
  machine_md
  echo "- measured: $REQUESTS closed-loop requests per point (after $WARMUP discarded) through the tbf"
  echo "  testbed (veth, both directions shaped to the point's rate), the plan fixed; predicted:"
  echo "  edgent-plan with the cached fits, RTT $RTT ms"
  echo
  echo "![$KIND]($KIND.png)"
  echo
  for grid in paper scaled; do
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
    if [ "$(all_feasible "$DIR/sweep-$grid.csv")" = yes ]; then
      echo "Every strategy (edgent, device-only, edge-only, partition-only, exit-only) has a plan that"
      echo "meets the deadline at every point of this grid (predicted), so Edgent's choice is the most"
      echo "accurate entry of the accuracy table ($(awk -F, 'NR == 1 { print "exit " $4 " cut " $5 " " $7 ": " $8 }' "$DIR/.rows");"
      echo "the last exit at full precision has $(jq '[.entries[] | select(.codec == "fp32")] | max_by(.exit) | .accuracy' "$ACCURACY"))"
      echo "whatever the $([ "$KIND" = bandwidth ] && echo bandwidth || echo deadline); the plan cannot follow the"
      echo "$([ "$KIND" = bandwidth ] && echo bandwidth || echo deadline) in this regime (the model takes milliseconds, the deadline is hundreds)."
    else
      echo "Some strategies miss the deadline at some points of this grid (predicted), so the choice"
      echo "moves with the $([ "$KIND" = bandwidth ] && echo bandwidth || echo deadline): see the table."
    fi
    echo
  done
  rm -f "$DIR/.rows"
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
