#!/bin/sh
# Checks a tool's man page against its --help: every long option that `<tool> [subcommand]
# --help` lists has an OPTIONS entry (.TP) in man/<tool>.1, or, for the options every tool
# shares, a COMMON OPTIONS entry in man/edgent.1; and every long option an OPTIONS entry of
# man/<tool>.1 names is one that --help lists. Options hidden from --help are documented
# outside OPTIONS.
# Usage: man_options.sh <tool-binary> <man-dir> [subcommand...]
set -u
bin=$1
mandir=$2
shift 2
tool=$(basename "$bin")
page="$mandir/$tool.1"
common="$mandir/edgent.1"
[ -r "$page" ] || { echo "$page: missing"; exit 1; }

# Long options in the option column of CLI11's help (lines starting "  -x,--name ..." or
# "  --name ..."; "!--no-x" and "{default}" decorations dropped), for the tool and each
# subcommand.
help_options() {
  "$@" --help | awk '/^  +-/ { n = split($1, names, ","); for (i = 1; i <= n; i++) { name = names[i]; sub(/^!/, "", name); sub(/\{.*/, "", name); if (name ~ /^--[a-z0-9]/) print name } }'
}
opts=$( { help_options "$bin"; for sub in "$@"; do help_options "$bin" "$sub"; done; } | sort -u)
[ -n "$opts" ] || { echo "$tool: no options in --help"; exit 1; }

# The long options named by the entries (the line after each .TP) of section $2 of page $1,
# subsections included; roff writes a dash as \-.
entries() {
  sed 's/\\-/-/g' "$1" | awk -v section="$2" '
    /^\.SH/ { inside = ($0 == ".SH " section); next }
    inside && /^\.TP/ { take = 1; next }
    take { take = 0; while (match($0, /--[a-z0-9][a-z0-9-]*/)) { print substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH) } }
  ' | sort -u
}
documented=$(entries "$page" OPTIONS)
shared=$(entries "$common" "COMMON OPTIONS")

status=0
for opt in $opts; do
  if ! printf '%s\n' "$documented" "$shared" | grep -qx -- "$opt"; then
    echo "$page: $opt (in '$tool${*:+ [$*]} --help') has no OPTIONS entry"
    status=1
  fi
done
for opt in $documented; do
  if ! printf '%s\n' "$opts" | grep -qx -- "$opt"; then
    echo "$page: $opt has an OPTIONS entry but '$tool${*:+ [$*]} --help' does not list it"
    status=1
  fi
done
[ $status -eq 0 ] && echo "man options: ok"
exit $status
