"""Print what this appliance reports about itself as one JSON document (read-only).

Versions, services, VMs, tunnels, WAN state, the last converge recorded in the journal and who
holds the converge lock. Every probe is bounded; a missing tool reports null instead of failing.
"""
import json
import os
import platform
import subprocess

PACKAGES = ["libvirt-daemon-system", "qemu-system-x86", "nftables", "frr", "wireguard-tools",
            "strongswan-swanctl", "openvpn", "dnsmasq-base"]
SERVICES = ["libvirtd", "systemd-networkd", "azb-firewall", "azb-sysctl", "ulogd2", "frr",
            "strongswan", "azb-wan-health"]
WAN_STATE = "/run/azblink/wan-state.json"
LOCK_HOLDER = "/run/azblink/converge.lock/holder"   # roles/fleet/defaults: azb_fleet_lock_dir


def run(argv, timeout=10):
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def os_release():
    try:
        with open("/etc/os-release") as fh:
            pairs = dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)
        return pairs.get("PRETTY_NAME", "").strip('"')
    except OSError:
        return None


def packages():
    out = run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"] + PACKAGES) or ""
    found = {}
    for line in out.splitlines():
        name, version, status = line.split("\t")
        if status == "installed":
            found[name] = version
    return found


def services():
    out = run(["systemctl", "show", "-p", "Id,ActiveState,UnitFileState"] + [s + ".service" for s in SERVICES])
    result = {}
    for block in (out or "").strip().split("\n\n"):
        kv = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if kv.get("Id"):
            result[kv["Id"][:-len(".service")]] = {"active": kv.get("ActiveState"),
                                                   "enabled": kv.get("UnitFileState") or None}
    return result


def vms():
    out = run(["virsh", "--connect", "qemu:///system", "list", "--all"])
    if out is None:
        return None
    rows = [line.split(None, 2) for line in out.splitlines()[2:] if line.strip()]
    return [{"name": r[1], "state": r[2] if len(r) > 2 else ""} for r in rows if len(r) >= 2]


def kvm():
    """Whether VMs can run on the CPU's virtualisation (else azb_vm's auto emulates them, slowly)."""
    return os.path.exists("/dev/kvm") and os.access("/dev/kvm", os.R_OK | os.W_OK)


def tunnels():
    found = []
    units = run(["systemctl", "list-units", "--all", "--plain", "--no-legend", "azb-vpn-*.service"]) or ""
    for line in units.splitlines():
        parts = line.split()
        if parts:
            found.append({"unit": parts[0], "active": parts[2] if len(parts) > 2 else None})
    return found


def wan_state():
    try:
        with open(WAN_STATE) as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        return None
    return {"active": state.get("active"), "wans": state.get("wans"),
            "last_transition": (state.get("transitions") or [None])[-1]}


def last_converge():
    out = run(["journalctl", "-t", "azblink-converge", "-n", "1", "-o", "cat", "--no-pager"])
    if not out or not out.strip():
        return None
    try:
        return json.loads(out.strip().splitlines()[-1])
    except ValueError:
        return {"raw": out.strip()}


def lock_holder():
    try:
        with open(LOCK_HOLDER) as fh:
            return fh.read().strip() or "(being taken)"
    except FileNotFoundError:
        return None
    except OSError as exc:
        return "unreadable: %s" % exc


def main():
    print(json.dumps({
        "os": os_release(), "kernel": platform.release(), "packages": packages(), "services": services(),
        "kvm": kvm(), "vms": vms(), "tunnels": tunnels(), "wan": wan_state(), "last_converge": last_converge(),
        "lock": lock_holder()}))


if __name__ == "__main__":
    main()
