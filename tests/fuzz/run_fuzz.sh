#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build tree for SECONDS each, on its seed corpus
# (tests/fuzz/corpus/<target>, read only) plus a working corpus in BUILD/corpus/<target>,
# then prints a table: target, executions, corpus size, crashes. Exits non-zero when a
# target crashed (its reproducer is in BUILD/crashes/<target>/).
# A dictionary tests/fuzz/<target>.dict is used when present.
# Usage: tests/fuzz/run_fuzz.sh BUILD SECONDS [TARGET...]   (default: every *_fuzz binary)
set -uo pipefail
build=${1:?usage: run_fuzz.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: run_fuzz.sh BUILD SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$src"/*_fuzz.cpp; do
    targets+=("$(basename "$f" .cpp)")
  done
fi
declare -A max_len=([wire_fuzz]=4096 [http_fuzz]=8192)
rows=()
failed=0
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  bin="$build/tests/$t"
  work="$build/corpus/$name"
  crashes="$build/crashes/$name"
  log="$build/fuzz-$name.log"
  rm -rf "$crashes"  # this run's reproducers only
  mkdir -p "$work" "$crashes"
  args=(-max_total_time="$seconds" -rss_limit_mb=1024 -timeout=5 -print_final_stats=1
        -artifact_prefix="$crashes/")
  if [ -f "$src/$name.dict" ]; then
    args+=(-dict="$src/$name.dict")
  fi
  if [ -n "${max_len[$t]:-}" ]; then
    args+=(-max_len="${max_len[$t]}")
  fi
  echo "fuzz: $t for ${seconds}s (log: $log)" >&2
  "$bin" "${args[@]}" "$work" "$src/corpus/$name" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  ncrash=$(find "$crashes" -type f | wc -l)
  if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
    ncrash=1  # died without writing a reproducer: count it, the log says why
  fi
  if [ "$ncrash" -ne 0 ]; then
    failed=1
    tail -n 40 "$log" >&2
  fi
  corpus=$(( $(find "$work" -type f | wc -l) + $(find "$src/corpus/$name" -type f | wc -l) ))
  rows+=("$(printf '%-10s %12s %8s %8s' "$name" "${execs:-?}" "$corpus" "$ncrash")")
done
printf '%-10s %12s %8s %8s\n' target executions corpus crashes
printf '%s\n' "${rows[@]}"
exit $failed
