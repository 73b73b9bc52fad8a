#!/usr/bin/env bash
# The scenario's piece of the lab internet: a server namespace on the internet's core bridge (the
# tests run iperf3 and the voice echo there, by PID), and the "modem": the ISP uplink of lab-a22
# limited by a TBF with a deep queue, as a cable/DSL modem is. Nothing shared is touched.
#   server_side.sh up | down
set -eu
NS=${QOS_NETNS:-azb-q22srv}
ADDR=${QOS_ADDRESS:-203.0.113.222}
ISP_NS=${QOS_ISP_NETNS:-azb-a22-isp1}
MODEM=${QOS_MODEM:-tbf rate 22mbit burst 32kbit latency 300ms}
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
  # shellcheck disable=SC2086
  ip netns exec "$ISP_NS" tc qdisc replace dev up0 root $MODEM
  ;;
down)
  ip netns exec "$ISP_NS" tc qdisc del dev up0 root 2>/dev/null || true
  ip -n azb-inet link del "$PEER" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ;;
esac
