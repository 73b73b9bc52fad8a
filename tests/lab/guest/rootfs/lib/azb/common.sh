# shellcheck shell=sh
# helpers shared by the CGI scripts of the lab guest
PATH=/sbin:/bin:/usr/sbin:/usr/bin
AZB_IFACE=eth0
[ -r /run/azb.env ] && . /run/azb.env
[ -r /run/azb-dhcp.env ] && . /run/azb-dhcp.env

azb_ip()     { ip -4 -o addr show dev "$AZB_IFACE" 2>/dev/null | awk '{print $4; exit}'; }
azb_marker() { cat /data/marker 2>/dev/null; }

# plain "key=value" lines, easy to parse from tests
azb_status() {
    echo "hostname=$(hostname)"
    echo "ip=$(azb_ip)"
    echo "mode=${AZB_MODE:-none}"
    echo "mac=$(cat "/sys/class/net/$AZB_IFACE/address" 2>/dev/null)"
    echo "disk=${AZB_DISK:-none}"
    if [ "${AZB_DISK:-none}" = none ]; then echo "persistent=no"; else echo "persistent=yes"; fi
    echo "watchdog=${AZB_WATCHDOG:-off}"
    echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"
    echo "uptime=$(cut -d' ' -f1 /proc/uptime)"
    echo "kernel=$(uname -r)"
    echo "marker=$(azb_marker | head -n1)"
}

azb_text_header() { printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'; }
