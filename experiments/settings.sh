# shellcheck shell=bash
# load_settings FILE: reads the KEY=value settings of configs/*.conf into shell variables.
# A variable already set (not empty) in the environment or on make's command line wins,
# so `SLOWDOWN=10 make demo` still works. Each line is KEY=value, the value taken literally to
# the end of the line (no quotes, no expansion; it may be empty); blank lines and lines that
# start with # are skipped; a value starting with ./ or ../ is a path relative to the
# checkout. Anything else is an error naming the file and the line.
load_settings() {
  local file=$1 root line key value n=0
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  [ -r "$file" ] || { printf '%s: cannot read the settings\n' "$file" >&2; return 2; }
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case $line in '' | '#'*) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    if [ "$key" = "$line" ] || ! [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]]; then
      printf '%s: line %d: expected KEY=value, got %s\n' "$file" "$n" "$line" >&2
      return 2
    fi
    case $value in ./* | ../*) value=$root/$value ;; esac
    if [ -z "${!key:-}" ]; then
      printf -v "$key" '%s' "$value"
    fi
  done <"$file"
}

# The demo-sized profiles of both roles (the device SLOWDOWN times slower, time dilation) of
# MODEL and their fits, written as DIR/{edge,device}.{profile,fit}.json; used by the demo and
# by the experiments that plan in its regime.
demo_fits() {
  local dir=$1
  local light=(--reps 7 --sweep-points 8 --anchor-points 5 --sweep-reps 3)
  "$BIN/edgent-profile" -m "$MODEL" --role edge "${light[@]}" --quiet -o "$dir/edge.profile.json"
  "$BIN/edgent-profile" -m "$MODEL" --role device --slowdown "$SLOWDOWN" "${light[@]}" --quiet \
    -o "$dir/device.profile.json"
  "$BIN/edgent-fit" "$dir/edge.profile.json" --quiet -o "$dir/edge.fit.json"
  "$BIN/edgent-fit" "$dir/device.profile.json" --quiet -o "$dir/device.fit.json"
}
