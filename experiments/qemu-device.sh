#!/usr/bin/env bash
# A third device emulation: the cross-built aarch64 edgent-profile run under qemu-user (about
# 150 times slower than this core). Unlike the dilation device (--slowdown K: this core's
# per-layer costs, each scaled by K), its per-layer cost structure is the emulator's own, so its
# fit tests that per-role regressions are needed. Profiles and fits it, then sets beside the
# dilation device (out/common, SLOWDOWN from configs/testbed.conf): the per-unit held-out error
# (edgent-fit --predict; target: median <= 20 %), the fitted per-type errors, and the plans each
# device leads to over the paper's bandwidth grid at a few deadlines.
# Writes out/qemu-device/summary.md. Needs `make build`, `make device-arm64` (ARM_BIN) and the
# cached profiles (`make -C experiments profiles`).
. "$(dirname "$0")/common.sh"
need_fits
ARM_BIN=${ARM_BIN:-$ROOT/build-arm64/cmd}
# Under qemu a forward pass takes about 150x longer: fewer repetitions than the demo's profile.
QEMU_PROFILE_OPTS=${QEMU_PROFILE_OPTS:---reps 5 --sweep-points 6 --anchor-points 4 --sweep-reps 2}
QEMU=(nice qemu-aarch64 -L /usr/aarch64-linux-gnu)
DIR=$OUT/qemu-device
[ -x "$ARM_BIN/edgent-profile" ] || { say "$ARM_BIN/edgent-profile missing: run 'make device-arm64' first"; exit 1; }
command -v qemu-aarch64 >/dev/null || { say "qemu-aarch64 missing: run 'make deps-arm64'"; exit 1; }
mkdir -p "$DIR"

# The profile is cached: delete it to measure again.
if [ ! -s "$DIR/qemu.profile.json" ]; then
  say "profiling the aarch64 device under qemu ($QEMU_PROFILE_OPTS)"
  start=$(date +%s)
  # shellcheck disable=SC2086  # the options are words
  "${QEMU[@]}" "$ARM_BIN/edgent-profile" -m "$MODEL" --role device $QEMU_PROFILE_OPTS --quiet \
    -o "$DIR/qemu.profile.json"
  echo $(( $(date +%s) - start )) >"$DIR/profile_seconds"
fi
"$BIN/edgent-fit" "$DIR/qemu.profile.json" --predict -o "$DIR/qemu.fit.json" 2>"$DIR/qemu.predict.txt"
"$BIN/edgent-fit" "$COMMON/device.profile.json" --predict -o "$DIR/dilation.fit.json" \
  2>"$DIR/dilation.predict.txt"

# Unit rows of --predict: exit unit name type measured predicted error.
unit_errors() {
  awk '$1 ~ /^[0-9]+$/ && NF >= 7 && $5 ~ /ms$/ { e = $7; sub(/%$/, "", e); print $4, (e < 0 ? -e : e) }' "$1"
}
# "units median mean" of the absolute per-unit errors, %
unit_stats() {
  unit_errors "$1" | awk '{ print $2 }' | sort -g |
    awk '{ v[++n] = $1; s += $1 } END { if (n == 0) { print "0 nan nan"; exit }
      printf "%d %.1f %.1f\n", n, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), s / n }'
}
read -r qn qmed qmean < <(unit_stats "$DIR/qemu.predict.txt")
read -r dn dmed dmean < <(unit_stats "$DIR/dilation.predict.txt")
[ "$qn" -gt 0 ] || { say "no unit rows parsed from edgent-fit --predict"; exit 1; }

# Per type: fitted errors (held-out median APE of the model's own units, cross-validated MAPE of
# the sweep, R^2) from the fit artifacts, which store them as fractions.
type_table() {
  jq -r --arg dev "$2" 'def pct: if type == "number" then (. * 1000 | round / 10) else "n/a" end;
    .models | to_entries[] | [$dev, .key, .value.n, (.value.median_ape_heldout | pct),
      (.value.mape_heldout | pct), (.value.cv_mape | pct), (.value.r2 * 1000 | round / 1000)]
    | @tsv' "$1" |
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
}

# Per-layer cost structure: each unit type's share of exit 5's measured device time.
type_shares() {
  awk '$1 == 5 && NF >= 7 && $5 ~ /ms$/ { m = $5; sub(/ms$/, "", m); t[$4] += m; s += m }
    END { for (k in t) printf "%s %.1f%%\n", k, 100 * t[k] / s }' "$1" | sort | paste -sd' ' |
    sed 's/ \([a-z]\)/, \1/g'
}

# Plans over the paper's bandwidth grid, per device, at a common deadline grid (the regime rule
# of experiments/regime.sh caps deadlines at 100 ms, below the qemu device's reach on a slow link).
GRID="50 100 200 300 500 750 1000 1500"
DEADLINES=${QEMU_DEADLINES:-20 50 100 200 400}
echo "device,deadline_ms,bandwidth_kbps,feasible,exit,cut,order,codec,predicted_ms" >"$DIR/plans.csv"
for dev in dilation qemu; do
  fits=(--model "$MODEL" --accuracy "$ACCURACY" --device-fit "$DIR/$dev.fit.json"
        --edge-fit "$COMMON/edge.fit.json")
  for d in $DEADLINES; do
    for kbps in $GRID; do
      rc=0
      "$BIN/edgent-plan" "${fits[@]}" --bandwidth "$kbps" --deadline "$d" --rtt "$RTT" --quiet \
        -o "$DIR/plan.tmp.json" || rc=$?
      [ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
      jq -r --arg dev "$dev" --argjson d "$d" --argjson k "$kbps" \
        '[$dev, $d, $k, .feasible, .plan.exit, .plan.cut, .plan.order, .plan.codec,
          (.predicted.total_ms * 100 | round / 100)] | @csv' "$DIR/plan.tmp.json" | tr -d '"' \
        >>"$DIR/plans.csv"
    done
  done
done
rm -f "$DIR/plan.tmp.json"

plan_rows() {  # device -> Markdown rows: deadline, then the plan per bandwidth
  awk -F, -v dev="$1" -v grid="$GRID" 'NR > 1 && $1 == dev {
      key = $2; if (!(key in seen)) { seen[key] = 1; order[++k] = key }
      p = ($8 == "none") ? "e" $5 " device" : ($6 == 0 && $7 == "device-first") ? "e" $5 " edge" : "e" $5 " c" $6 ($7 == "edge-first" ? " ef" : "") " " $8
      if ($4 != "true") p = p " (miss)"
      cell[key, $3] = p " " $9 "ms" }
    END { n = split(grid, g, " ")
      for (i = 1; i <= k; i++) { printf "| %s | %s ms |", dev, order[i]
        for (j = 1; j <= n; j++) printf " %s |", cell[order[i], g[j]]
        printf "\n" } }' "$DIR/plans.csv"
}

{
  echo "# qemu device: an aarch64 edgent-profile under qemu-user beside the dilation device"
  echo
  machine_md | sed -n '1p;4,6p'
  echo "- qemu device: $ARM_BIN/edgent-profile (aarch64, cross-built) under qemu-aarch64, profile"
  echo "  options $QEMU_PROFILE_OPTS, took $(cat "$DIR/profile_seconds" 2>/dev/null || echo "?") s"
  echo "- dilation device: this core slowed ${SLOWDOWN}x (--slowdown), the cached demo-sized profile"
  echo "- fits: edgent-fit per device; edge: the cached edge fit; RTT $RTT ms"
  echo
  echo "## Per-unit held-out error (edgent-fit --predict: regressions trained on the synthetic sweep, the model's own units held out)"
  echo
  echo "| device | units | median abs error | mean abs error | target |"
  echo "|---|---:|---:|---:|---|"
  echo "| qemu (aarch64) | $qn | $qmed % | $qmean % | median <= 20 %: $(awk -v m="$qmed" 'BEGIN { print (m <= 20 ? "met" : "missed") }') |"
  echo "| dilation x$SLOWDOWN | $dn | $dmed % | $dmean % | |"
  echo
  echo "Share of exit 5's measured device time per unit type: qemu $(type_shares "$DIR/qemu.predict.txt");"
  echo "dilation $(type_shares "$DIR/dilation.predict.txt")."
  echo
  echo "## Fitted per-type errors (fit artifacts)"
  echo
  echo "| device | type | n | median APE held-out % | MAPE held-out % | CV MAPE % | R^2 |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  type_table "$DIR/qemu.fit.json" qemu
  type_table "$DIR/dilation.fit.json" "dilation x$SLOWDOWN"
  echo
  echo "## Plans (edgent-plan) per bandwidth, kbit/s"
  echo
  echo "eN = exit N; device = device-only; edge = edge-only; cC = cut after C units, device-first unless"
  echo "ef (edge-first); then the codec and the predicted latency; (miss) = no plan meets the deadline,"
  echo "the fastest shown."
  echo
  printf '| device | deadline |'; for k in $GRID; do printf ' %s |' "$k"; done; echo
  printf '|---|---|'; for _ in $GRID; do printf -- '---|'; done; echo
  plan_rows dilation
  plan_rows qemu
} >"$DIR/summary.md"
cat "$DIR/summary.md"
