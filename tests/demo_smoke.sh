#!/usr/bin/env bash
# `make demo`, CI-sized (ctest demo.smoke): three seconds of the trace per strategy and
# deadline. Checks that the main job runs end to end: three tables of seven strategies, every
# run's summary, the two pictures. Usage: tests/demo_smoke.sh BIN OUT
set -euo pipefail
BIN=$1
OUT=$2
rm -rf "$OUT"
DEMO_SECONDS=${DEMO_SECONDS:-3} RATE=${RATE:-10} BIN=$BIN OUT=$OUT \
  "$(dirname "$0")/../experiments/demo.sh" >"$OUT.stdout" 2>"$OUT.stderr" || {
  cat "$OUT.stderr" "$OUT.stdout" >&2
  exit 1
}
fail() { printf 'demo smoke: %s\n' "$*" >&2; cat "$OUT.stdout" >&2; exit 1; }
for level in tight middle loose; do
  grep -q "^$level deadline " "$OUT.stdout" || fail "no $level table"
  for s in edgent edgent-cascade edgent-static device-only edge-only partition-only oracle; do
    jq -e '.count > 0 and (.device.slowdown > 1) and (.on_time_accuracy != null)' \
      "$OUT/$level/$s.summary.json" >/dev/null || fail "$level/$s.summary.json"
  done
done
for png in timeline ontime; do
  [ -s "$OUT/$png.png" ] || fail "no $png.png"
  [ "$(head -c 4 "$OUT/$png.png" | tail -c 3)" = PNG ] || fail "$png.png is not a PNG"
done
grep -q "pictures: $OUT/timeline.png" "$OUT.stdout" || fail "the pictures' paths are not printed"
echo "demo smoke: ok"
