#!/usr/bin/env bash
# The scenario's own piece of the lab internet: a "corporate resolver" namespace on the internet's
# core bridge (203.0.113.60) running our dnsmasq and a TCP echo server. Every process is recorded by
# PID and start time (tests/lab/pidfile.sh) and stopped only while it is that process; nothing of the
# lab's shared daemons is touched. "up" is idempotent: it starts what is not running (the verify step
# runs it again, as it may run long after prepare).
#   corp_side.sh up | down
set -eu
NS=${WAN_CORP_NETNS:-azb-corpdns}
ADDR=${WAN_CORP_ADDRESS:-203.0.113.60}
APP_NS=${WAN_APP_NETNS:-azb-a3}
RUN=/run/azb-h5-corp
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../tests/lab/pidfile.sh
. "$HERE/../../../tests/lab/pidfile.sh"
case "$1" in
up)
  mkdir -p "$RUN"
  "$HERE/../../../tests/lab/inet_host.sh" up "$NS" "$ADDR" corp0 acorp
  # The stand-in for the compliance VPN: a veth tun-corp in the appliance (a zone of role wan) to
  # corp1 here. The tests switch the tunnel with corp1's link state (down = the tunnel is down).
  if ! ip -n "$NS" link show corp1 >/dev/null 2>&1; then
    ip link add corp1 netns "$NS" type veth peer name tun-corp netns "$APP_NS"
    ip -n "$APP_NS" link set tun-corp up
  fi
  ip -n "$NS" -br addr show dev corp1 | grep -q "10.99.0.2/" || ip -n "$NS" addr add 10.99.0.2/30 dev corp1
  for name in dns echo; do
    if pid_recorded "$RUN/$name.pid" >/dev/null; then continue; fi
    [ -f "$RUN/$name.pid" ] && echo "corp_side: $name was not running (recorded: $(cat "$RUN/$name.pid")); starting it"
    if [ $name = dns ]; then
      ip netns exec "$NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$ADDR" --except-interface=lo --pid-file= \
        --address=/intranet.corp.test/10.3.0.99 --address=/mail.corp.test/10.20.0.25 \
        --address=/app.partner.test/10.30.0.7 </dev/null >"$RUN/dns.log" 2>&1 &
    else
      ip netns exec "$NS" python3 "$HERE/tests/echo_server.py" "$ADDR" 7 </dev/null >"$RUN/echo.log" 2>&1 &
    fi
    pid_record "$RUN/$name.pid" $!
  done
  for _ in $(seq 50); do
    ip netns exec "$NS" timeout 1 bash -c "exec 3<>/dev/tcp/$ADDR/7" 2>/dev/null && exit 0
    sleep 0.1
  done
  echo "echo server did not open" >&2; exit 1
  ;;
down)
  for name in dns echo; do pid_stop "$RUN/$name.pid"; done
  "$HERE/../../../tests/lab/inet_host.sh" down "$NS" "$ADDR" corp0 acorp
  rmdir "$RUN" 2>/dev/null || true
  ;;
esac
