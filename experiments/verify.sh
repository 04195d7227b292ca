#!/usr/bin/env bash
# Checks the testbed's shaping: a bulk TCP transfer each way at several tbf rates, achieved
# payload rate vs the configured rate (TCP/IP headers take ~4 % of a 1500-byte packet).
. "$(dirname "$0")/common.sh"
DIR=$OUT/testbed
mkdir -p "$DIR"
VERIFY_RATES=${VERIFY_RATES:-50 400 1500 10000 50000}
tb_require_root || exit 1
trap tb_cleanup EXIT
trap 'exit 130' INT TERM
tb_up 1000 2>/dev/null
tb_verify $VERIFY_RATES >"$DIR/verify.csv"
tb_cleanup
cat "$DIR/verify.csv" >&2
gnuplot -e "dir='$DIR'" "$HERE/verify.gp"
{
  echo "# testbed: achieved bulk-transfer rate vs the tbf rate"
  echo
  machine_md | grep -v '^- model'
  echo "- setup: namespaces $TB_DEV_NS ($TB_DEV_IP) and $TB_EDGE_NS ($TB_EDGE_IP) joined by a veth"
  echo "  pair; tbf on both ends (bucket 1600 bytes, queue 2 s of traffic); one TCP connection"
  echo "  (experiments/bulk.py) moving about 3 s of traffic (at least 25 kB) each way per rate"
  echo
  echo "![verify](verify.png)"
  echo
  echo "| tbf kbit/s | direction | bytes | achieved kbit/s (payload) | achieved / tbf |"
  echo "|---:|---|---:|---:|---:|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %.3f |\n", $1, $2, $3, $4, $5 }' "$DIR/verify.csv"
  echo
  awk -F, 'NR > 1 { n++; s += $5; if (min == "" || $5 < min) min = $5; if ($5 > max) max = $5 }
    END { printf "Achieved/tbf over %d transfers: mean %.3f, min %.3f, max %.3f; the payload of a full\n", n, s / n, min, max
          printf "1500-byte TCP packet is 1448 bytes of 1514 on the wire (0.956).\n" }' "$DIR/verify.csv"
} >"$DIR/summary.md"
say "wrote $DIR/summary.md"
