#!/bin/sh
# Keeps the README's CLI block and `vknn ... --help` in agreement: every command the help lists
# has a README line, every README line names a command that exists, and for each command the
# options the README mentions are exactly those its --help lists (-h,--help aside).
# usage: readme_cli.sh VKNN README.md
set -eu
vknn=$1
readme=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fenced block under "## The CLI".
awk '/^## The CLI/ { f = 1; next } f && /^```/ { n++; next } f && n == 1 { print } n == 2 { exit }' "$readme" \
  > "$tmp/block"
[ -s "$tmp/block" ] || { echo "no CLI block under '## The CLI' in $readme"; exit 1; }

# One record per command line and its continuation lines: "path<TAB>--opt --opt ...". The path
# is the lower-case words after "vknn" up to the first option or bracket; a line with a
# placeholder word (COMMAND) is generic and skipped.
awk '
  function flush() { if (have) print path "\t" opts; have = 0 }
  /^vknn/ {
    flush(); have = 1; path = ""; opts = ""
    for (i = 2; i <= NF; i++) {
      if ($i ~ /^[-\[]/) break
      if ($i !~ /^[a-z0-9-]+$/) { have = 0; break }
      path = path (path == "" ? "" : " ") $i
    }
  }
  {
    line = $0
    while (match(line, /--[a-z0-9][a-z0-9-]*/)) {
      opts = opts " " substr(line, RSTART, RLENGTH)
      line = substr(line, RSTART + RLENGTH)
    }
  }
  END { flush() }
' "$tmp/block" > "$tmp/records"

help_of() {  # help text of a command path ("" for vknn itself)
  # shellcheck disable=SC2086
  "$vknn" $1 --help
}
options_of_help() {
  awk '/^Options:/ { f = 1; next } /^[A-Za-z]/ { f = 0 } f' | grep -o -- '^ *\(-[a-z],\)\{0,1\}--[a-z0-9-]*' |
    sed 's/.*--/--/' | grep -v -x -- '--help' | sort -u
}
subcommands_of_help() {
  awk '/^Subcommands:/ { f = 1; next } /^[^ ]/ { f = 0 } f && NF { print $1 }'
}

# Every command path the help knows (the root, "", is checked with the options below).
walk() {
  [ -n "$1" ] && echo "$1" >> "$tmp/paths"
  # The list is expanded before the loop runs, so the recursion cannot disturb it.
  for s in $(help_of "$1" | subcommands_of_help); do
    walk "$(echo "$1 $s" | sed 's/^ //')"
  done
}
: > "$tmp/paths"
walk ""

status=0
sort -u "$tmp/paths" | sed '/^$/d' > "$tmp/help_paths"
cut -f1 "$tmp/records" | sed '/^$/d' | sort -u > "$tmp/readme_paths"
for p in $(comm -23 "$tmp/help_paths" "$tmp/readme_paths" | tr ' ' '+'); do
  echo "README: no line for 'vknn $(echo "$p" | tr '+' ' ')'"
  status=1
done
for p in $(comm -13 "$tmp/help_paths" "$tmp/readme_paths" | tr ' ' '+'); do
  echo "README: 'vknn $(echo "$p" | tr '+' ' ')' is not a command (vknn --help does not list it)"
  status=1
done

# Options per command, the root ("vknn --version") included.
{ echo; cat "$tmp/help_paths"; } | while IFS= read -r path; do
  awk -F '\t' -v p="$path" '$1 == p { print $2 }' "$tmp/records" | tr ' ' '\n' | sed '/^$/d' |
    grep -v -x -- '--help' | sort -u > "$tmp/readme_opts"
  help_of "$path" | options_of_help > "$tmp/help_opts"
  name=$(echo "vknn $path" | sed 's/ $//')
  for o in $(comm -23 "$tmp/help_opts" "$tmp/readme_opts"); do
    echo "README: '$name' does not mention $o (it is in '$name --help')"
    echo 1 > "$tmp/failed"
  done
  for o in $(comm -13 "$tmp/help_opts" "$tmp/readme_opts"); do
    echo "README: '$name' mentions $o, which '$name --help' does not list"
    echo 1 > "$tmp/failed"
  done
done
[ -e "$tmp/failed" ] && status=1
[ $status -eq 0 ] && echo "README CLI block agrees with --help ($(wc -l < "$tmp/help_paths") commands)"
exit $status
