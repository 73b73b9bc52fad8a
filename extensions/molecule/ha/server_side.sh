#!/usr/bin/env bash
# The scenario's server on the lab internet: its own namespace on the core bridge (the tests run the
# TCP ticker there, by PID). Nothing shared is touched.
#   server_side.sh up | down
set -eu
NS=${HA_NETNS:-azb-h23srv}
ADDR=${HA_ADDRESS:-203.0.113.224}
PEER=aq-${NS#azb-}
PEER=${PEER:0:15}
case "$1" in
up)
  ip netns list | grep -qw "$NS" || ip netns add "$NS"
  if ! ip -n "$NS" link show srv0 >/dev/null 2>&1; then
    ip link add srv0 netns "$NS" type veth peer name "$PEER" netns azb-inet
    ip -n azb-inet link set "$PEER" master core up
  fi
  ip -n "$NS" link set lo up
  ip -n "$NS" link set srv0 up
  ip -n "$NS" -br addr show dev srv0 | grep -q "$ADDR/" || ip -n "$NS" addr add "$ADDR/24" dev srv0
  ip -n "$NS" route replace default via 203.0.113.254
  ;;
down)
  ip -n azb-inet link del "$PEER" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ;;
esac
