#!/usr/bin/env bash
# A scenario's own host on the lab internet: namespace NS with a veth IF (ADDR/24, default route
# to the internet's router), its peer PEER on the internet's core bridge. "up" is idempotent;
# "down" removes the peer and the namespace (and nothing of the lab's shared pieces).
#   inet_host.sh up|down NS ADDR IF PEER
set -eu
ACTION=$1 NS=$2 ADDR=$3 IF=$4 PEER=$5
case "$ACTION" in
up)
  ip netns list | grep -qw "$NS" || ip netns add "$NS"
  if ! ip -n "$NS" link show "$IF" >/dev/null 2>&1; then
    ip link add "$IF" netns "$NS" type veth peer name "$PEER" netns azb-inet
    ip -n azb-inet link set "$PEER" master core up
  fi
  ip -n "$NS" link set lo up
  ip -n "$NS" link set "$IF" up
  ip -n "$NS" -br addr show dev "$IF" | grep -q "$ADDR/" || ip -n "$NS" addr add "$ADDR/24" dev "$IF"
  ip -n "$NS" route replace default via 203.0.113.254
  ;;
down)
  ip -n azb-inet link del "$PEER" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ;;
*)
  echo "usage: inet_host.sh up|down NS ADDR IF PEER" >&2; exit 2
  ;;
esac
