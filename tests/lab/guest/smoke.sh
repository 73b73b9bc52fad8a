#!/usr/bin/env bash
# shellcheck disable=SC2016  # single-quoted snippets below are scripts for bash -c
# Bounded self-test of the lab guest built by build.sh.
#
#   usage: tests/lab/guest/smoke.sh OUTDIR        (as root)
#
# Creates its own network namespace azbguest-smoke-$$ with a tap device
# (198.18.250.1/30, guest 198.18.250.2/30) and boots the guest under plain
# QEMU TCG (no KVM) with a 16 MiB virtio data disk:
#   phase 1: static address (azb.ip), wait for READY, ping, TCP echo (7),
#            HTTP /, set a marker through /cgi-bin/set-marker and read it
#            back, then a graceful ACPI power-off (QEMU system_powerdown).
#   phase 2: reboot from the same disk with DHCP (busybox udhcpd inside the
#            namespace): the marker must have survived, boot_id must differ.
#   phase 3: only with SMOKE_WATCHDOG=1: i6300esb watchdog; /cgi-bin/hang
#            must make the guest unreachable and the watchdog must reset it.
# Only touches the namespace it created and the processes it started.
# Env: SMOKE_WATCHDOG=1, SMOKE_KEEP=1 (keep the work dir with logs),
#      SMOKE_READY_TIMEOUT (default 60 s).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${1:-}
[[ -n "$OUTDIR" && $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
[[ -d "$OUTDIR" ]] || { echo "smoke.sh: $OUTDIR is not a directory; run $HERE/build.sh $OUTDIR first" >&2; exit 2; }
OUTDIR=$(cd "$OUTDIR" && pwd)
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-60}

NS=azbguest-smoke-$$
HOST_IP=198.18.250.1
GUEST_IP=198.18.250.2
PREFIX=30

say()  { printf '[smoke %6.2fs] %s\n' "$(elapsed "$T_SCRIPT")" "$*"; }
fail() { say "FAIL: $*"; FAILED=1; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
T_SCRIPT=$(now)

# ------------------------------------------------------------------ checks
[[ $EUID -eq 0 ]] || { echo "smoke.sh: must run as root (network namespace + tap)" >&2; exit 2; }
for f in vmlinuz initrd.img guest.env; do
    [[ -s "$OUTDIR/$f" ]] || { echo "smoke.sh: $OUTDIR/$f missing; run $HERE/build.sh $OUTDIR" >&2; exit 2; }
done
need() { command -v "$1" >/dev/null 2>&1 || { echo "smoke.sh: missing $1 (Debian package: $2)" >&2; exit 2; }; }
need qemu-system-x86_64 qemu-system-x86
need qemu-img qemu-utils
need ip iproute2
need busybox busybox-static
[[ -e /dev/net/tun ]] || { echo "smoke.sh: /dev/net/tun missing" >&2; exit 2; }
BB=$(command -v busybox)
if command -v ping >/dev/null 2>&1; then PING=(ping); else PING=("$BB" ping); fi
if command -v curl >/dev/null 2>&1; then HTTP=(curl -sS -f -m 5); else HTTP=("$BB" wget -q -T 5 -O -); fi
# shellcheck disable=SC1091
. "$OUTDIR/guest.env"
CMDLINE_BASE=${AZB_GUEST_CMDLINE_BASE:-console=ttyS0 quiet}

WORK=$(mktemp -d /tmp/azbguest-smoke.XXXXXX)
QPID=
DPID=
NS_CREATED=0
FAILED=0

stop_qemu() {
    [[ -n "$QPID" ]] || return 0
    if kill -0 "$QPID" 2>/dev/null; then
        kill "$QPID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$QPID" 2>/dev/null || true
    fi
    wait "$QPID" 2>/dev/null || true
    QPID=
}
cleanup() {
    local rc=$?
    stop_qemu
    if [[ -n "$DPID" ]]; then kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; fi
    if [[ $NS_CREATED == 1 ]]; then ip netns del "$NS" 2>/dev/null || true; fi
    if [[ $rc -ne 0 || $FAILED -ne 0 ]]; then
        for l in "$WORK"/console-*.log; do
            [[ -s "$l" ]] || continue
            echo "----- last lines of $(basename "$l") -----"
            tail -n 40 "$l" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
        done
    fi
    if [[ "${SMOKE_KEEP:-0}" == 1 || $rc -ne 0 ]]; then
        echo "smoke.sh: logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ namespace
ip netns add "$NS"
NS_CREATED=1
NSX=(ip netns exec "$NS")
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev tap0 mode tap
ip -n "$NS" addr add "$HOST_IP/$PREFIX" dev tap0
ip -n "$NS" link set tap0 up
qemu-img create -q -f qcow2 "$WORK/data.qcow2" 16M
mkfifo "$WORK/mon.in" "$WORK/mon.out"
say "netns $NS, tap0 $HOST_IP/$PREFIX, guest $GUEST_IP, work dir $WORK"

# boot NAME "CMDLINE" [extra qemu args...]: starts QEMU, sets QPID, T_BOOT, LOG
boot() {
    local name=$1 cmdline=$2; shift 2
    LOG=$WORK/console-$name.log
    : > "$LOG"
    T_BOOT=$(now)
    "${NSX[@]}" qemu-system-x86_64 -accel tcg -machine q35 -m 256 -smp 1 \
        -nographic -nodefaults -serial stdio \
        -chardev pipe,id=mon0,path="$WORK/mon" -mon chardev=mon0,mode=readline \
        -kernel "$OUTDIR/vmlinuz" -initrd "$OUTDIR/initrd.img" -append "$cmdline" \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
        -device virtio-net-pci,netdev=n0,mac=52:54:00:c6:fa:02,romfile= \
        -drive file="$WORK/data.qcow2",format=qcow2,if=none,id=d0 \
        -device virtio-blk-pci,drive=d0 \
        "$@" </dev/null >"$LOG" 2>&1 &
    QPID=$!
    say "$name: qemu pid $QPID, cmdline: $cmdline"
}

# wait_console PATTERN N TIMEOUT: until PATTERN occurs N times in LOG
wait_console() {
    local pat=$1 n=$2 timeout=$3 t0 c
    t0=$(now)
    while :; do
        c=$(grep -a -c -- "$pat" "$LOG" || true)
        [[ $c -ge $n ]] && return 0
        kill -0 "$QPID" 2>/dev/null || { say "qemu exited"; return 1; }
        awk -v a="$t0" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' && return 1
        sleep 0.1
    done
}

get() { "${NSX[@]}" "${HTTP[@]}" "http://$GUEST_IP$1"; }
status_field() { get /cgi-bin/status | sed -n "s/^$1=//p"; }

ping_first_reply() { # -> seconds since boot until the first echo reply (max ~15 tries)
    for _ in $(seq 1 15); do
        if "${NSX[@]}" "${PING[@]}" -c 1 -W 1 "$GUEST_IP" >/dev/null 2>&1; then
            T_PING=$(elapsed "$T_BOOT")
            return 0
        fi
        sleep 0.2
    done
    return 1
}

check_services() { # NAME EXPECTED_HOSTNAME
    local name=$1 host=$2 out echo_token
    wait_console 'AZB-GUEST READY ' 1 "$READY_TIMEOUT" || fail "$name: no READY line within ${READY_TIMEOUT}s"
    T_READY=$(elapsed "$T_BOOT")
    say "$name: READY after ${T_READY}s: $(grep -a -m1 'AZB-GUEST READY ' "$LOG" | tr -d '\r')"
    ping_first_reply || fail "$name: no ping reply from $GUEST_IP"
    say "$name: first ping reply ${T_PING}s after qemu start"
    "${NSX[@]}" "${PING[@]}" -c 3 -W 2 "$GUEST_IP" >/dev/null || fail "$name: ping -c 3 lost replies"
    say "$name: ping -c 3 ok"

    echo_token="azb-echo-$$-$RANDOM"
    out=$("${NSX[@]}" timeout 10 bash -c '
        exec 3<>"/dev/tcp/$1/7" || exit 1
        printf "%s\n" "$2" >&3
        IFS= read -r -t 5 line <&3 || exit 1
        printf "%s\n" "$line"' _ "$GUEST_IP" "$echo_token" 2>&1) || fail "$name: TCP echo on port 7 failed ($out)"
    [[ "$out" == "$echo_token" ]] || fail "$name: TCP echo returned '$out'"
    say "$name: tcp/7 echo ok"

    out=$(get /) || fail "$name: HTTP / failed"
    grep -q "AZB-GUEST hostname=$host<" <<<"$out" || fail "$name: HTTP / does not show hostname $host"
    say "$name: http / ok (hostname $host)"
}


powerdown() { # NAME: ACPI power button, expect QEMU to exit
    local name=$1 t0
    t0=$(now)
    timeout 5 bash -c 'echo system_powerdown > "$1"' _ "$WORK/mon.in" || fail "$name: cannot talk to the QEMU monitor"
    for _ in $(seq 1 200); do
        kill -0 "$QPID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$QPID" 2>/dev/null; then fail "$name: guest did not power off within 20s of system_powerdown"; fi
    wait "$QPID" 2>/dev/null || true
    QPID=
    say "$name: ACPI power-off completed in $(elapsed "$t0")s"
}

# ------------------------------------------------------------------ phase 1
boot p1-static "$CMDLINE_BASE azb.ip=$GUEST_IP/$PREFIX azb.gw=$HOST_IP azb.hostname=smoke1" -no-reboot
check_services p1-static smoke1
P1_READY=$T_READY P1_PING=$T_PING
grep -a -q 'disk=vda' "$LOG" || fail "p1-static: data disk not mounted"
BOOT1=$(status_field boot_id)
MARK="m$$-$RANDOM-x"
out=$(get "/cgi-bin/set-marker?$MARK") || fail "p1-static: set-marker failed"
[[ "$out" == "OK marker=$MARK" ]] || fail "p1-static: set-marker said '$out'"
out=$(get /cgi-bin/marker) || fail "p1-static: GET marker failed"
[[ "$out" == "$MARK" ]] || fail "p1-static: marker reads '$out', expected '$MARK'"
get / | grep -q ">$MARK<" || fail "p1-static: / does not show the new marker"
say "p1-static: marker '$MARK' set and read back (live, no reboot)"
powerdown p1-static

# ------------------------------------------------------------------ phase 2
cat > "$WORK/udhcpd.conf" <<EOF
start $GUEST_IP
end $GUEST_IP
interface tap0
max_leases 1
lease_file $WORK/udhcpd.leases
pidfile $WORK/udhcpd.pid
option subnet 255.255.255.252
option router $HOST_IP
option lease 600
EOF
: > "$WORK/udhcpd.leases"
boot p2-dhcp "$CMDLINE_BASE azb.hostname=smoke2" -no-reboot
"${NSX[@]}" "$BB" udhcpd -f "$WORK/udhcpd.conf" >"$WORK/udhcpd.log" 2>&1 &
DPID=$!
check_services p2-dhcp smoke2
P2_READY=$T_READY P2_PING=$T_PING
grep -a -q "AZB-GUEST READY ip=$GUEST_IP/$PREFIX mode=dhcp" "$LOG" || fail "p2-dhcp: READY does not show the DHCP lease"
out=$(get /cgi-bin/marker) || fail "p2-dhcp: GET marker failed"
[[ "$out" == "$MARK" ]] || fail "p2-dhcp: marker after reboot is '$out', expected '$MARK'"
BOOT2=$(status_field boot_id)
[[ -n "$BOOT2" && "$BOOT2" != "$BOOT1" ]] || fail "p2-dhcp: boot_id did not change"
say "p2-dhcp: marker survived the reboot, boot_id changed"
powerdown p2-dhcp
kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; DPID=

# ------------------------------------------------------------------ phase 3
if [[ "${SMOKE_WATCHDOG:-0}" == 1 ]]; then
    boot p3-watchdog "$CMDLINE_BASE azb.ip=$GUEST_IP/$PREFIX azb.hostname=smoke3 azb.wdt_timeout=8" \
        -device i6300esb -action watchdog=reset
    check_services p3-watchdog smoke3
    grep -a -q 'watchdog=8s' "$LOG" || fail "p3-watchdog: watchdog not armed"
    get /cgi-bin/hang >/dev/null || fail "p3-watchdog: /cgi-bin/hang failed"
    T_HANG=$(now)
    sleep 3
    if "${NSX[@]}" "${PING[@]}" -c 1 -W 1 "$GUEST_IP" >/dev/null 2>&1; then fail "p3-watchdog: guest still answers ping after hang"; fi
    say "p3-watchdog: guest hung (no ping)"
    wait_console 'AZB-GUEST READY ' 2 90 || fail "p3-watchdog: watchdog did not reset the guest"
    say "p3-watchdog: watchdog reset, READY again $(elapsed "$T_HANG")s after the hang"
    T_BOOT=$T_HANG
    ping_first_reply || fail "p3-watchdog: no ping after the watchdog reset"
    out=$(get /cgi-bin/marker) || fail "p3-watchdog: GET marker failed"
    [[ "$out" == "$MARK" ]] || fail "p3-watchdog: marker after reset is '$out'"
    say "p3-watchdog: reachable again, marker intact"
    stop_qemu
fi

say "PASS  boot->READY: static ${P1_READY}s, dhcp ${P2_READY}s; boot->first ping reply: static ${P1_PING}s, dhcp ${P2_PING}s"
