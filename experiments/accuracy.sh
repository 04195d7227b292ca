#!/usr/bin/env bash
# Fig. 9 of the paper: the accuracy each strategy reaches under a deadline at a fixed
# bandwidth (400 kbit/s): Edgent, device-only, edge-only, partition-only. Predicted from the
# planner sweep with the accuracy table (a strategy whose fastest plan misses the deadline
# scores 0, as in the paper), and measured at the demo's three deadlines (regime.sh, over
# 50 kbit/s - TOP_KBPS) through the testbed: the share of ACC_REQUESTS labelled test images
# answered correctly within the deadline (requests at REQUEST_RATE/s), with its 95 %
# confidence interval. The exits'
# accuracies differ by tenths of a point (on the whole 10k test set): the measured figures
# separate the strategies by what they miss, not by their exits.
. "$(dirname "$0")/common.sh"
need_fits
DIR=$OUT/accuracy
mkdir -p "$DIR"
BANDWIDTH=${BANDWIDTH:-400}
read -r D_TIGHT D_MIDDLE D_LOOSE _ < <(regime_deadlines 50 "$TOP_KBPS" "$RTT" "${FITS[@]}") || {
  say "no exit fits a deadline up to 100 ms at 50-$TOP_KBPS kbit/s"
  exit 1
}
PAPER_GRID=${PAPER_GRID:-$(awk -v t="$D_TIGHT" -v l="$D_LOOSE" 'BEGIN { printf "%.2f:%.2f:40", 0.5 * t, 1.5 * l }')}
PAPER_MEASURE=${PAPER_MEASURE:-$D_TIGHT $D_MIDDLE $D_LOOSE}
ACC_REQUESTS=${ACC_REQUESTS:-600}
STRATEGIES="edgent device-only edge-only partition-only"

echo "grid,deadline_ms,strategy,feasible,exit,cut,order,codec,accuracy,predicted_ms" >"$DIR/predicted.csv"
grid=paper
range=$PAPER_GRID
rc=0
"$BIN/edgent-plan" "${FITS[@]}" --sweep-deadline "$range" --bandwidth "$BANDWIDTH" --rtt "$RTT" \
  --quiet --csv "$DIR/sweep-$grid.csv" -o "$DIR/sweep-$grid.json" || rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || exit $rc
awk -F, -v g=$grid 'NR > 1 && $3 != "exit-only" { print g "," $2 "," $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9 "," $14 }' \
  "$DIR/sweep-$grid.csv" | sort -t, -k3,3 -k2,2g >>"$DIR/predicted.csv"

start_testbed "$BANDWIDTH" "$DIR"
echo "grid,deadline_ms,strategy,feasible,exit,cut,codec,predicted_ms,requests,accuracy,deadline_met,correct_in_time,mean_ms,p95_ms" \
  >"$DIR/measured.csv"
grid=paper
points=$PAPER_MEASURE
for deadline in $points; do
  for strategy in $STRATEGIES; do
    say "accuracy ($grid): $strategy, deadline $deadline ms at $BANDWIDTH kbit/s"
    p=$DIR/$grid-$deadline-$strategy
    plan_at "$BANDWIDTH" "$deadline" "$p.plan.json" "$strategy"
    measure "$p.plan.json" "$BANDWIDTH" "$ACC_REQUESTS" "$p"
    jq -r --arg g $grid --arg s "$strategy" --slurpfile r "$p.stats.json" \
      '[$g, .deadline_ms, $s, .feasible, .plan.exit, .plan.cut, .plan.codec, .predicted.total_ms,
        $r[0].count, $r[0].accuracy, 1 - $r[0].miss_rate, $r[0].correct_in_time, $r[0].mean_ms,
        $r[0].p95_ms] | @csv' "$p.plan.json" | tr -d '"' >>"$DIR/measured.csv"
  done
done
tb_cleanup

gnuplot -e "dir='$DIR'; bw='$BANDWIDTH'; grids='paper'" "$HERE/accuracy.gp"
{
  echo "# accuracy: accuracy under a deadline at $BANDWIDTH kbit/s (paper Fig. 9)"
  echo
  machine_md
  echo "- predicted: edgent-plan --sweep-deadline with the accuracy table"
  echo "  (${ACCURACY#"$ROOT"/}); a strategy whose fastest plan misses the deadline counts 0"
  echo "- measured: $ACC_REQUESTS labelled Fashion-MNIST test images per (deadline, strategy), at"
  echo "  $REQUEST_RATE/s, through the tbf testbed at $BANDWIDTH kbit/s; 'correct in time' = answered correctly"
  echo "  within the deadline"
  echo
  echo "![accuracy](accuracy.png)"
  echo
  echo "## predicted (planner)"
  echo
  grid=paper
  awk -F, -v g=$grid 'NR > 1 && $1 == g {
      a = ($4 == 1) ? $9 : 0; key = $3; if (!(key in n)) order[++k] = key
      n[key]++; sum[key] += a; if ($4 == 1) feas[key]++
      if ($4 == 1 && (!(key in first))) first[key] = $2
      lo = (lo == "" || $2 < lo) ? $2 : lo; hi = (hi == "" || $2 > hi) ? $2 : hi }
    END { printf "%s grid (deadlines %g to %g ms):", g, lo, hi
          for (i = 1; i <= k; i++) { s = order[i]
            printf " %s mean %.4f, %s;", s, sum[s] / n[s], (s in first) ? "feasible from " first[s] " ms" : "never feasible" }
          printf "\n\n" }' "$DIR/predicted.csv"
  echo "## measured (testbed)"
  echo
  echo "| grid | deadline ms | strategy | plan exit/cut/codec | planner feasible | accuracy | deadline met | correct in time (95 % CI) | mean ms | p95 ms |"
  echo "|---|---:|---|---|---|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 { ci = 1.96 * sqrt($12 * (1 - $12) / $9)
      printf "| %s | %g | %s | %s/%s/%s | %s | %.3f | %.0f%% | %.3f +- %.3f | %.2f | %.2f |\n",
      $1, $2, $3, $5, $6, $7, ($4 == "true" ? "yes" : "no"), $10, $11 * 100, $12, ci, $13, $14 }' "$DIR/measured.csv"
  echo
  echo "The deadlines measured are the demo's tight/middle/loose ($D_TIGHT/$D_MIDDLE/$D_LOOSE ms); each"
  echo "point is $ACC_REQUESTS images, so a measured share p carries +-1.96 sqrt(p(1-p)/$ACC_REQUESTS)."
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
