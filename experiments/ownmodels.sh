#!/usr/bin/env bash
# ownmodels: how well the latency regressions predict two multi-exit nets the project was
# never trained on (lib/model/reference_models, written by build/bench/own_models): a
# ResNet-style net (identity and projected stride-2 residual blocks, a depthwise-separable
# block) and an Inception-style one (Concat-joined branches, standalone BatchNorm, a
# Sigmoid/Mul gate, a grouped conv). Per model and role (the edge at full speed, the device
# SLOWDOWN times slower by time dilation): each card from the bare ONNX (edgent-eval
# --write-card), a profile, a fit with the model's own units held out, and edgent-fit
# --predict's per-unit and per-exit-chain errors. Blocks (units no cut separates) are
# predicted from their parts and listed apart, twice: with the fit's block correction (learned
# from the profile's synthetic blocks by leave-one-block-out cross-validation; what predictions
# and plans use) and as the plain sum of their parts. Targets: per-unit held-out median
# error <= 20 %, blocks included; whole-chain error <= 15 %. No root, no testbed.
. "$(dirname "$0")/common.sh"
BENCH=${BENCH:-$ROOT/build/bench}
# The README's own-model section profiles with edgent-profile's defaults (31 reps, a 16-point
# sweep), and so does this. The demo's light settings (--reps 7, an 8-point sweep) leave the
# cost of a boundary between unit nets, a difference of sums of eight timings, noisy: a third
# of a device chain's units' sum, it moved the chains' error by up to 20 points from run to run.
PROFILE_OPTS=${PROFILE_OPTS:-}
DIR=$OUT/ownmodels
mkdir -p "$DIR"
[ -x "$BENCH/own_models" ] || { say "no $BENCH/own_models: run 'make build' first"; exit 1; }
"$BENCH/own_models" "$DIR" >/dev/null

start=$(date +%s)
echo "model,role,kind,exit,unit,name,type,measured_ms,predicted_ms,error_pct,sum_error_pct" >"$DIR/ownmodels.csv"
for model in resnet-exits inception-exits; do
  "$BIN/edgent-eval" --quiet --onnx "$DIR/$model.onnx" --write-card "$DIR/$model.json"
  for role in edge device; do
    slow=()
    [ "$role" = device ] && slow=(--slowdown "$SLOWDOWN")
    # shellcheck disable=SC2086  # PROFILE_OPTS is a list of options
    "$BIN/edgent-profile" -m "$DIR/$model.json" --role "$role" "${slow[@]}" $PROFILE_OPTS \
      --quiet -o "$DIR/$model.$role.profile.json"
    "$BIN/edgent-fit" "$DIR/$model.$role.profile.json" --predict \
      -o "$DIR/$model.$role.fit.json" 2>"$DIR/$model.$role.predict.txt"
    # Unit rows: exit unit name type measured predicted error [note]; a block's note holds
    # the plain sum of its parts and that error. Chain rows: exit measured predicted error
    # plain-sum-error. A unit shared by several exits is listed once (its first). CSV:
    # predicted_ms and error_pct are the prediction's (block correction applied, what plans
    # use), sum_error_pct the plain sum's (the same for units that are no block).
    awk -v m="$model" -v r="$role" '
      $1 ~ /^[0-9]+$/ && NF >= 7 && $5 ~ /ms$/ { if (seen[$3]++) next
        v = $5; p = $6; e = $7; sub(/ms$/, "", v); sub(/ms$/, "", p); sub(/%$/, "", e); se = e
        if (match($0, /plain sum [0-9.]+ms, [0-9.]+%/)) { t = substr($0, RSTART, RLENGTH); sub(/.*, /, "", t); sub(/%$/, "", t); se = t }
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", m, r, ($4 == "block" ? "block" : "unit"), $1, $2, $3, $4, v, p, e, se }
      $1 ~ /^[0-9]+$/ && NF == 5 && $2 ~ /ms$/ { v = $2; p = $3; e = $4; se = $5; sub(/ms$/, "", v); sub(/ms$/, "", p); sub(/%$/, "", e); sub(/%$/, "", se)
        printf "%s,%s,chain,%s,,exit%s,chain,%s,%s,%s,%s\n", m, r, $1, $1, v, p, e, se }' \
      "$DIR/$model.$role.predict.txt" >>"$DIR/ownmodels.csv"
  done
done
seconds=$(( $(date +%s) - start ))

median() {  # [COL=11] model role kind... -> "n median max" of error_pct (or column COL)
  local col=10
  case $1 in COL=*) col=${1#COL=}; shift ;; esac
  local m=$1 r=$2; shift 2
  awk -F, -v c="$col" -v m="$m" -v r="$r" -v kinds="$*" 'BEGIN { n = split(kinds, k, " "); for (i = 1; i <= n; i++) want[k[i]] = 1 }
    $1 == m && $2 == r && ($3 in want) { print $c }' "$DIR/ownmodels.csv" | sort -g |
    awk '{ v[++n] = $1 } END { if (n == 0) { print "0 - -"; exit }
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; printf "%d %.1f %.1f\n", n, med, v[n] }'
}
{
  echo "# ownmodels: regressions on multi-exit nets of our own making"
  echo
  machine_md | grep -v '^- model: '  # the shared lines name the default model; these runs have their own
  echo "- models: $DIR/resnet-exits.onnx, $DIR/inception-exits.onnx (build/bench/own_models, seed 3)"
  defaults="edgent-profile's defaults, as the README's own-model section"
  echo "- profiles: ${PROFILE_OPTS:-$defaults}; the device is this machine's core ${SLOWDOWN}x slower (--slowdown)"
  echo "- errors: |predicted - measured| / measured, the model's own units held out of the fits;"
  echo "  blocks predicted from their parts (regress::block_ms); exit chains as edgent-fit --predict sums them"
  echo "- predicted: blocks with the fit's block correction (regress::fit_block_correction, learned from the"
  echo "  profile's synthetic block sweep, never the model's blocks), what edgent-fit --predict and plans use;"
  echo "  sum: blocks as the plain sum of their parts, for comparison"
  echo "- took ${seconds} s"
  echo
  echo "| model | role | units (excl. blocks): n, median %, max % | blocks: n, median %, max % | blocks (sum) | all units: median % (predicted / sum) | chains: n, median %, max % | chains (sum) |"
  echo "|---|---|---|---|---|---|---|---|"
  for model in resnet-exits inception-exits; do
    for role in edge device; do
      read -r un um ux < <(median "$model" "$role" unit)
      read -r bn bm bx < <(median "$model" "$role" block)
      read -r _ bsm bsx < <(median COL=11 "$model" "$role" block)
      read -r _ am _ < <(median "$model" "$role" unit block)
      read -r _ asm _ < <(median COL=11 "$model" "$role" unit block)
      read -r cn cm cx < <(median "$model" "$role" chain)
      read -r _ csm csx < <(median COL=11 "$model" "$role" chain)
      echo "| $model | $role | $un, $um, $ux | $bn, $bm, $bx | $bsm, $bsx | $am / $asm | $cn, $cm, $cx | $csm, $csx |"
    done
  done
  echo
  echo "Block corrections chosen (edgent-fit --predict):"
  echo
  for model in resnet-exits inception-exits; do
    for role in edge device; do
      echo "- $model $role: $(grep '^block correction' "$DIR/$model.$role.predict.txt" || echo 'none (no block sweep)')"
    done
  done
  echo
  echo "Blocks and chains, each:"
  echo
  awk -F, 'NR > 1 && ($3 == "block" || $3 == "chain") { printf "- %s %s %s %s: measured %s ms, predicted %s ms, error %s %% (as the plain sum: %s %%)\n", $1, $2, $3, $6, $8, $9, $10, $11 }' \
    "$DIR/ownmodels.csv"
  echo
  echo "Targets: per-unit held-out median error <= 20 % (blocks included), whole-chain error <= 15 %."
  echo "Figures on a loaded machine vary from run to run; re-measure on a quiet one."
} >"$DIR/summary.md"
cat "$DIR/summary.md"
say "wrote $DIR/summary.md"
