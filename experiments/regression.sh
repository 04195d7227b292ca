#!/usr/bin/env bash
# Fig. 5-style: per-unit latency predicted by the regressions (edgent-fit, trained on the
# synthetic sweep with the model's own units held out) vs measured (the profile's estimate), on
# the device and the edge, from `edgent-fit --predict` of the cached profiles; MAPE per role.
. "$(dirname "$0")/common.sh"
need_fits
DIR=$OUT/regression
mkdir -p "$DIR"

echo "role,kind,exit,unit,name,type,measured_ms,predicted_ms,error_pct" >"$DIR/regression.csv"
for role in device edge; do
  "$BIN/edgent-fit" "$COMMON/$role.profile.json" --predict -o "$DIR/$role.fit.json" \
    2>"$DIR/$role.predict.txt"
  # Unit rows: exit unit name type measured predicted error; chain rows: exit measured predicted error.
  awk -v r=$role '
    $1 ~ /^[0-9]+$/ && NF >= 7 && $5 ~ /ms$/ { m = $5; p = $6; e = $7; sub(/ms$/, "", m); sub(/ms$/, "", p); sub(/%$/, "", e)
      printf "%s,unit,%s,%s,%s,%s,%s,%s,%s\n", r, $1, $2, $3, $4, m, p, e }
    $1 ~ /^[0-9]+$/ && NF == 4 && $2 ~ /ms$/ { m = $2; p = $3; e = $4; sub(/ms$/, "", m); sub(/ms$/, "", p); sub(/%$/, "", e)
      printf "%s,chain,%s,,exit%s,chain,%s,%s,%s\n", r, $1, $1, m, p, e }' \
    "$DIR/$role.predict.txt" >>"$DIR/regression.csv"
done
n=$(awk 'END { print NR - 1 }' "$DIR/regression.csv")
[ "$n" -gt 0 ] || { say "no rows parsed from edgent-fit --predict"; exit 1; }

stats() {  # role kind -> "n MAPE median-APE"
  awk -F, -v r="$1" -v k="$2" '$1 == r && $2 == k { print $9 }' "$DIR/regression.csv" | sort -g |
    awk '{ v[++n] = $1; s += $1 }
      END { if (n == 0) { print "0 nan nan"; exit } printf "%d %.1f %.1f\n", n, s / n, v[int((n + 1) / 2)] }'
}
read -r dn dm dmed < <(stats device unit)
read -r en em emed < <(stats edge unit)
read -r dcn dcm _ < <(stats device chain)
read -r ecn ecm _ < <(stats edge chain)
gnuplot -e "dir='$DIR'; dm='$dm'; em='$em'" "$HERE/regression.gp"
{
  echo "# regression: predicted vs measured latency per unit (paper Fig. 5 style)"
  echo
  machine_md
  echo "- measured: the cached demo-sized profiles (their estimate: median; the device's times are K x its"
  echo "  CPU time under --slowdown $SLOWDOWN); predicted: edgent-fit's per-type"
  echo "  regressions, trained on the synthetic sweep with the model's own units held out"
  echo
  echo "![regression](regression.png)"
  echo
  echo "| role | units | unit MAPE | unit median APE | exit chains | chain MAPE |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| device | $dn | $dm % | $dmed % | $dcn | $dcm % |"
  echo "| edge | $en | $em % | $emed % | $ecn | $ecm % |"
  echo
  echo "Per type (unit MAPE, %):"
  echo
  awk -F, 'NR > 1 && $2 == "unit" { k = $1 " " $6; n[k]++; s[k] += $9 }
    END { for (k in n) printf "- %s: %.1f %% over %d units\n", k, s[k] / n[k], n[k] }' \
    "$DIR/regression.csv" | sort
  echo
  echo "Units are counted once per exit chain they appear in (the trunk's units repeat), as"
  echo "edgent-fit --predict lists them. The device's timings are dilated CPU time, so they share the"
  echo "edge's per-layer cost structure, scaled; a real device's would differ per layer type."
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
