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
INET_HOST="$(cd "$(dirname "$0")/../../.." && pwd)/tests/lab/inet_host.sh"
case "$1" in
up)
  "$INET_HOST" up "$NS" "$ADDR" srv0 "$PEER"
  # shellcheck disable=SC2086
  ip netns exec "$ISP_NS" tc qdisc replace dev up0 root $MODEM
  ;;
down)
  ip netns exec "$ISP_NS" tc qdisc del dev up0 root 2>/dev/null || true
  "$INET_HOST" down "$NS" "$ADDR" srv0 "$PEER"
  ;;
esac
