#!/usr/bin/env bash
# The scenario's server on the lab internet: its own namespace on the core bridge (the tests run the
# TCP ticker there, by PID). Nothing shared is touched.
#   server_side.sh up | down
set -eu
NS=${HA_NETNS:-azb-h23srv}
ADDR=${HA_ADDRESS:-203.0.113.224}
PEER=aq-${NS#azb-}
PEER=${PEER:0:15}
INET_HOST="$(cd "$(dirname "$0")/../../.." && pwd)/tests/lab/inet_host.sh"
case "$1" in
up)
  "$INET_HOST" up "$NS" "$ADDR" srv0 "$PEER"
  ;;
down)
  "$INET_HOST" down "$NS" "$ADDR" srv0 "$PEER"
  ;;
esac
