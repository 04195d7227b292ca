#!/usr/bin/env bash
# The bandwidth sweep for a 3x224x224 architecture-only branchy AlexNet (edgent-train
# --arch-only: random weights, so latency only, no accuracy) at LTE bandwidths: the sweep runs
# from the 5th to the 95th percentile of the Belgium 4G/LTE samples in ../shared/traces.
# Profiles of this model (edge, and device SLOWDOWN times slower) are cached here. Measured:
# BIG_REQUESTS closed-loop requests of seeded random input tensors per point, through the
# testbed. Needs edgent-train (a libtorch build) or BIG_MODEL=<card> of an existing model.
. "$(dirname "$0")/common.sh"
DIR=$OUT/bigmodel
mkdir -p "$DIR"
TRAIN=${TRAIN:-$BIN/edgent-train}
BIG_MODEL=${BIG_MODEL:-$DIR/model/branchy-alexnet-3x224x224.json}
BIG_DEADLINES=${BIG_DEADLINES:-1000 150}
BIG_POINTS=${BIG_POINTS:-6}
BIG_REQUESTS=${BIG_REQUESTS:-5}
WARMUP=${BIG_WARMUP:-1}
SHARED_TRACES=${SHARED_TRACES:-$ROOT/../shared/traces}
LTE=${LTE:-$SHARED_TRACES/belgium_4g_lte}

if [ ! -s "$BIG_MODEL" ]; then
  if [ ! -x "$TRAIN" ]; then
    say "bigmodel: skipped: $TRAIN not found; it needs a libtorch build (cmake -DEDGENT_WITH_TORCH=ON),"
    say "or TRAIN=/path/to/edgent-train, or BIG_MODEL=<model card> of an existing 224x224 model"
    printf '# bigmodel: skipped\n\nNo edgent-train (libtorch build) at %s and no BIG_MODEL card.\n' "$TRAIN" \
      >"$DIR/summary.md"
    exit 0
  fi
  say "bigmodel: writing the architecture-only 3x224x224 model ($TRAIN --arch-only)"
  mkdir -p "$(dirname "$BIG_MODEL")"
  "$TRAIN" --arch-only --input 3x224x224 --seed 1 --quiet -o "$BIG_MODEL"
fi
MODEL=$BIG_MODEL

# Unit and exit timings only (--no-sweep): the synthetic sweep of a model with 4096-wide FC
# layers takes many minutes, so the planner reads the measured unit medians
# (edgent-plan --device-profile/--edge-profile) instead of regressions here.
light=(--reps 3 --warmup 1 --no-sweep)
for role in edge device; do
  if [ ! -s "$DIR/$role.profile.json" ]; then
    say "bigmodel: profiling the $role (cached in $DIR)"
    if [ $role = device ]; then q=(--slowdown "$SLOWDOWN"); else q=(); fi
    "$BIN/edgent-profile" -m "$MODEL" --role $role "${q[@]}" "${light[@]}" --quiet -o "$DIR/$role.profile.json"
  fi
done
FITS=(--model "$MODEL" --device-profile "$DIR/device.profile.json" --edge-profile "$DIR/edge.profile.json")

# The LTE range: 5th..95th percentile of every Belgium sample (outages included).
if [ -d "$LTE" ]; then
  range=$(awk -F, 'FNR > 1 { print $2 }' "$LTE"/*.csv | sort -g |
    awk '{ v[++n] = $1 } END { printf "%.0f:%.0f", v[int(n * 0.05) + 1], v[int(n * 0.95)] }')
  source_note="5th-95th percentile of the ${LTE#"$ROOT"/} samples"
else
  range=${BIG_FALLBACK_RANGE:-5000:60000}
  source_note="$LTE absent: fixed range"
fi
lo=${range%:*}
[ "$lo" -ge 100 ] || range="100:${range#*:}"
say "bigmodel: sweep $range kbit/s ($source_note)"

# Seeded random inputs: the model has random weights, so only latency is meaningful.
python3 -c "
import array, random, sys
random.seed(1)
n = int(sys.argv[2]) * 3 * 224 * 224
array.array('f', (random.uniform(-2.0, 2.0) for _ in range(n))).tofile(open(sys.argv[1], 'wb'))
" "$DIR/inputs.f32" "$((WARMUP + BIG_REQUESTS))"
# shellcheck disable=SC2034  # read by measure() in common.sh
INPUTS=(--tensors "$DIR/inputs.f32")

start_testbed 10000 "$DIR"
echo "grid,bandwidth_kbps,deadline_ms,exit,cut,order,codec,accuracy,predicted_ms,measured_mean_ms,measured_p50_ms,measured_p95_ms,miss_rate,requests" \
  >"$DIR/bigmodel.csv"
grids=""
declare -A measured=()
reused=0
for deadline in $BIG_DEADLINES; do
  g="deadline-${deadline}ms"
  grids="$grids $g"
  rc=0
  "$BIN/edgent-plan" "${FITS[@]}" --sweep-bandwidth "$range:$BIG_POINTS" --deadline "$deadline" \
    --rtt "$RTT" --quiet --csv "$DIR/sweep-$g.csv" -o "$DIR/sweep-$g.json" || rc=$?
  [ $rc = 0 ] || [ $rc = 3 ] || exit $rc
  for kbps in $(awk -F, 'NR > 1 && $3 == "edgent" { print $1 }' "$DIR/sweep-$g.csv"); do
    say "bigmodel ($g): $kbps kbit/s"
    p=$DIR/$g-$kbps
    plan_at "$kbps" "$deadline" "$p.plan.json"
    # The same plan at the same rate was measured for an earlier deadline: reuse it (each run
    # loads the 229 MB model on the slowed-down device, about a minute).
    key="$kbps $(jq -r '.plan | "\(.exit) \(.cut) \(.order) \(.codec)"' "$p.plan.json")"
    if [ -n "${measured[$key]:-}" ]; then
      cp "${measured[$key]}.stats.json" "$p.stats.json"
      reused=$((reused + 1))
    else
      measure "$p.plan.json" "$kbps" "$BIG_REQUESTS" "$p" --timeout-ms 60000
      measured[$key]=$p
    fi
    jq -r --arg g "$g" --arg b "$kbps" --slurpfile s "$p.stats.json" \
      '[$g, $b, .deadline_ms, .plan.exit, .plan.cut, .plan.order, .plan.codec, "",
        .predicted.total_ms, $s[0].mean_ms, $s[0].p50_ms, $s[0].p95_ms, $s[0].miss_rate,
        $s[0].count] | @csv' "$p.plan.json" | tr -d '"' >>"$DIR/bigmodel.csv"
  done
done
tb_cleanup

gnuplot -e "dir='$DIR'; kind='bandwidth'; name='bigmodel'; grids='${grids# }'; what='3x224x224 arch-only branchy AlexNet at LTE bandwidths'" \
  "$HERE/sweep.gp"
{
  echo "# bigmodel: the bandwidth sweep for a 3x224x224 architecture-only model"
  echo
  machine_md | sed "s|^- model: .*|- model: ${MODEL#"$ROOT"/} (edgent-train --arch-only, random weights; $(jq '.exits[-1].flops / 1e6 | round' "$MODEL") MFLOP to exit 5); unit profiles (no sweep) cached in ${DIR#"$ROOT"/}|"
  echo "- bandwidth: $range kbit/s, $BIG_POINTS points ($source_note); latency only (no accuracy)"
  echo "- measured: $BIG_REQUESTS closed-loop requests (after $WARMUP discarded) of seeded random"
  echo "  tensors per point through the tbf testbed ($reused points reuse the run of the same plan at the"
  echo "  same rate for another deadline); predicted: edgent-plan from the unit medians (--device-profile/--edge-profile)"
  echo "- whole chain to each exit, median ms (profile): edge $(jq -r '[.exits[] | "\(.exit): \(.median_ms * 10 | round / 10)"] | join(", ")' "$DIR/edge.profile.json");"
  echo "  device $(jq -r '[.exits[] | "\(.exit): \(.median_ms * 10 | round / 10)"] | join(", ")' "$DIR/device.profile.json")"
  echo
  echo "![bigmodel](bigmodel.png)"
  echo
  for g in $grids; do
    echo "## $g"
    echo
    echo "| kbit/s | exit | cut | order | codec | predicted ms | measured mean ms | p95 ms | missed |"
    echo "|---:|---:|---:|---|---|---:|---:|---:|---:|"
    awk -F, -v g="$g" '$1 == g { printf "| %.0f | %s | %s | %s | %s | %.1f | %.1f | %.1f | %.0f%% |\n", $2, $4, $5, $6, $7, $9, $10, $12, $13 * 100 }' "$DIR/bigmodel.csv"
    echo
    describe_sweep "$DIR/bigmodel.csv" "$g" 2 kbit/s
    echo
    echo "Accuracy is unknown (random weights), so the planner takes the deepest exit that meets the"
    echo "deadline and, among its plans, the fastest: the cut moves with the bandwidth."
    echo
  done
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
