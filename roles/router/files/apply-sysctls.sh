#!/bin/sh
# Apply each "key = value" of a sysctl.d file whose live value differs; print "changed KEY ..." for
# each. With --check, only print. Unlike `sysctl -p`, it tells whether the kernel really changed.
set -eu
file=$1
mode=${2:-apply}
grep -Ev '^[[:space:]]*(#|$)' "$file" | while IFS='=' read -r key value; do
  key=$(echo "$key" | tr -d '[:space:]')
  value=$(echo "$value" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
  current=$(sysctl -n "$key")
  if [ "$current" != "$value" ]; then
    [ "$mode" = --check ] || sysctl -qw "$key=$value"
    echo "changed $key $current -> $value"
  fi
done
