#!/usr/bin/env bash
# The scenario's collector side, on the lab's management network (a SOC reaches boxes there, and
# shipping must not depend on which WAN is up): a namespace with its own rsyslog
# (RELP over TLS, writing every received message as it came, RFC 5424 line per event) and a webhook
# receiver (one JSON body per line). Every process is recorded by PID and start time
# (tests/lab/pidfile.sh) and stopped only while it is that process.
#   collector.sh netns-up | netns-down
#   collector.sh start NAME CA CERT KEY [tcp|relp]   rsyslog on OBS_ADDRESS:6514 as NAME (RFC 5425 or RELP, TLS)
#   collector.sh stop NAME
#   collector.sh hook-start | hook-stop       the webhook receiver on OBS_ADDRESS:8080
set -eu
NS=${OBS_NETNS:-azb-a20-siem}
ADDR=${OBS_ADDRESS:-198.18.0.220}
PORT=${OBS_PORT:-6514}
RUN=/run/$NS
HERE=$(cd "$(dirname "$0")" && pwd)
PEER=azbs-${NS#azb-}; PEER=${PEER%-siem}   # its veth end on the management bridge (IFNAMSIZ-safe)

# shellcheck source=../../../tests/lab/pidfile.sh
. "$HERE/../../../tests/lab/pidfile.sh"

wait_port() {  # wait_port PORT: until something listens there (10 s at most)
  for _ in $(seq 100); do
    ip netns exec "$NS" ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
    sleep 0.1
  done
  echo "nothing listens on $ADDR:$1" >&2; return 1
}

netns_down() {  # the recorded processes stopped, the namespace, its veth and the run's files gone
  for f in "$RUN"/*.pid; do [ -e "$f" ] && pid_stop "$f"; done
  ip link del "$PEER" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$RUN"
}

case "$1" in
netns-up)
  # From nothing, whatever an earlier run left: one cut short (its session ended before cleanup)
  # leaves its namespace, processes and event files, and the lab going down meanwhile deletes
  # azb-mgmt, which unplugs the veth's host end (a kept namespace then received nothing).
  netns_down
  mkdir -p "$RUN"
  ip netns add "$NS"
  ip link add siem0 netns "$NS" type veth peer name "$PEER"
  ip link set "$PEER" master azb-mgmt up
  ip -n "$NS" link set lo up
  ip -n "$NS" link set siem0 up
  ip -n "$NS" addr add "$ADDR/24" dev siem0
  ;;
netns-down)
  netns_down
  ;;
start)
  name=$2; ca=$3; cert=$4; key=$5; proto=${6:-${OBS_PROTO:-tcp}}
  mkdir -p "$RUN/$name.spool"
  if [ "$proto" = relp ]; then
    listen="module(load=\"imrelp\")
input(type=\"imrelp\" port=\"$PORT\" address=\"$ADDR\" tls=\"on\" tls.caCert=\"$ca\" tls.myCert=\"$cert\"
      tls.myPrivKey=\"$key\" tls.authMode=\"certvalid\" ruleset=\"store\")"
  else  # RFC 5425: syslog over TLS, octet-counted; the client must show a certificate of our CA
    listen="global(DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"$ca\"
       DefaultNetstreamDriverCertFile=\"$cert\" DefaultNetstreamDriverKeyFile=\"$key\")
module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"x509/certvalid\")
input(type=\"imtcp\" port=\"$PORT\" address=\"$ADDR\" ruleset=\"store\")"
  fi
  cat >"$RUN/$name.conf" <<CONF
global(workDirectory="$RUN/$name.spool")
$listen
template(name="asis" type="string" string="%rawmsg%\n")
ruleset(name="store") { action(type="omfile" file="$RUN/$name-events.log" template="asis") }
CONF
  touch "$RUN/$name-events.log"
  ip netns exec "$NS" /usr/sbin/rsyslogd -n -f "$RUN/$name.conf" -i "$RUN/$name.rsyslogd.pid" \
    >"$RUN/$name.out" 2>&1 &
  pid_record "$RUN/$name.pid" $!
  wait_port "$PORT"
  ;;
stop)
  pid_stop "$RUN/$2.pid"
  ;;
hook-start)
  mkdir -p "$RUN"
  touch "$RUN/webhook.jsonl"
  ip netns exec "$NS" python3 "$HERE/tests/webhook_receiver.py" "$ADDR" 8080 "$RUN/webhook.jsonl" \
    >"$RUN/webhook.out" 2>&1 &
  pid_record "$RUN/webhook.pid" $!
  wait_port 8080
  ;;
hook-stop)
  pid_stop "$RUN/webhook.pid"
  ;;
*)
  echo "usage: $0 netns-up|netns-down|start NAME CA CERT KEY|stop NAME|hook-start|hook-stop" >&2; exit 2
  ;;
esac
