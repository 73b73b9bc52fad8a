"""Benchmark (not a test): throughput through the VPNs vs plain routing, and recovery after a restart.

Brings up the `multisite` Molecule scenario's two sites (lab-a7 = site A, lab-a8 = site B) with
`molecule converge -s multisite` unless --no-converge, then measures, each bounded (iperf3 -t 3):
  plain routing   site A's WAN address -> site B's WAN address (the path the tunnel itself rides)
  WireGuard s2s   10.99.0.1 -> 10.99.0.2 through wgs2s (wireguard-go in the lab)
  IPsec s2s       10.14.0.1 -> 10.24.0.1 through the ips tunnel (strongSwan's userspace ESP in the lab)
  road warrior    from a namespace on the internet to site A: plain, WireGuard (wgrw), OpenVPN (ovpn)
and the recovery time of the site-to-site tunnel after the peer (site B) restarts its tunnel unit,
and after a reboot of site B (pings from the clients in the sites' br3 zones).
Prints a table. `--destroy` removes the two appliances afterwards.
"""
import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv/bin/python")
KEY = "/var/lib/azblink-lab/ssh/id_ed25519"
SSH = ["ssh", "-i", KEY, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "LogLevel=ERROR"]
A, B = "198.18.0.17", "198.18.0.18"
A_WAN, B_WAN = "192.0.2.58", "198.51.100.66"


def run(cmd, timeout=60, check=True, **kw):
    res = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, timeout=timeout,
                         cwd=REPO, check=False, **kw)
    if check and res.returncode != 0:
        sys.exit("%s failed: %s%s" % (cmd, res.stdout[-2000:], res.stderr[-2000:]))
    return res


def ssh(host, cmd, timeout=60, check=True):
    return run(SSH + ["root@" + host, cmd], timeout=timeout, check=check)


def iperf(client_prefix, server_host, bind, label, client_args=()):
    """iperf3 -t 3 from client_prefix (argv prefix running in a namespace) to server_host's bind address."""
    ssh(server_host, "pkill -x iperf3; iperf3 -s -1 -D -B %s" % bind, check=False)
    time.sleep(0.5)
    res = run(client_prefix + ["iperf3", "-c", bind, "-t", "3", "-J"] + list(client_args), timeout=30, check=False)
    try:
        bps = json.loads(res.stdout)["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError):
        return label, None
    return label, bps / 1e6


def lab(*args):
    inv = glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.multisite/lab-inventory.yml"))
    return run([PY, "-m", "tests.lab.azblab"] + (["--inventory", inv[0]] if inv else []) + list(args),
               timeout=180)


def rw_namespace(ns, addr):
    run("ip netns add %s" % ns)
    run("ip link add %s0 netns %s type veth peer name %s1 netns azb-inet" % (ns[-5:], ns, ns[-5:]))
    run("ip -n azb-inet link set %s1 master core up" % ns[-5:])
    run("ip -n {n} link set lo up && ip -n {n} address add {a}/24 dev {i}0 && ip -n {n} link set {i}0 up && "
        "ip -n {n} route add default via 203.0.113.254".format(n=ns, a=addr, i=ns[-5:]))


def rw_cleanup(ns):
    run("ip -n azb-inet link del %s1" % ns[-5:], check=False)
    run("ip netns del %s" % ns, check=False)


def outage(ns, target, action, count=300):
    """Ping every 100 ms while action() runs; the outage is the longest run of lost replies."""
    ping = subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-n", "-c", str(count), "-i", "0.1", "-W", "1",
                             target], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    action()
    out = ping.communicate(timeout=count * 0.1 + 30)[0]
    seqs = sorted(int(m) for m in re.findall(r"icmp_seq=(\d+)", out))
    gaps = [b - a - 1 for a, b in zip(seqs, seqs[1:])]
    tail = count - (seqs[-1] if seqs else 0)
    worst = max(gaps + [0])
    return (worst * 0.1) if seqs and tail < 5 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-converge", action="store_true")
    ap.add_argument("--destroy", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ, PATH=os.path.join(REPO, ".venv/bin") + ":" + os.environ["PATH"])
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build/collections"))
    if not args.no_converge:
        for step in ("create", "prepare", "converge"):
            run(["molecule", step, "-s", "multisite"], timeout=900, env=env)
    rows = []
    a_exec = SSH + ["root@" + A]
    rows.append(iperf(a_exec, B, B_WAN, "site A -> site B, plain routing (WAN to WAN)"))
    rows.append(iperf(a_exec, B, "10.99.0.2", "site A -> site B, WireGuard s2s (wireguard-go)"))
    rows.append(iperf(a_exec, B, "10.24.0.1", "site A -> site B, IPsec (strongSwan kernel-libipsec, ESP in UDP)",
                      ["-B", "10.14.0.1"]))
    # road warriors: the exported configurations, from the controller's copy
    export = glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.multisite/vpn-export/lab-a7"))[0]
    ns = "azb-rw-bench"
    rw_namespace(ns, "203.0.113.210")
    procs = []
    try:
        rows.append(iperf(["ip", "netns", "exec", ns], A, A_WAN, "road warrior -> site A, plain routing"))
        stripped = run(["wg-quick", "strip", os.path.join(export, "rw1.conf")]).stdout
        path = "/tmp/azb-rw-bench.conf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, stripped.encode())
        os.close(fd)
        procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "wireguard-go", "-f", "azbrwb0"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)
        run("ip netns exec %s wg setconf azbrwb0 %s && ip -n %s address add 10.98.0.10/32 dev azbrwb0 && "
            "ip -n %s link set azbrwb0 up && ip -n %s route add 10.98.0.0/24 dev azbrwb0" % (ns, path, ns, ns, ns))
        rows.append(iperf(["ip", "netns", "exec", ns], A, "10.98.0.1", "road warrior -> site A, WireGuard (wireguard-go)"))
        procs[-1].send_signal(signal.SIGTERM)
        procs[-1].wait(timeout=10)
        os.unlink(path)
        log = "/tmp/azb-rw-bench-ovpn.log"
        procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "openvpn", "--config",
                                       os.path.join(export, "alice.ovpn"), "--dev", "azbrwt0", "--dev-type", "tun",
                                       "--log", log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 20
        while time.time() < deadline and "Initialization Sequence Completed" not in (
                open(log).read() if os.path.exists(log) else ""):
            time.sleep(0.3)
        rows.append(iperf(["ip", "netns", "exec", ns], A, "10.97.0.1", "road warrior -> site A, OpenVPN (udp, AES-256-GCM)"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
        rw_cleanup(ns)
    # recovery
    lab("client", "add", "lab-a7", "c3", "--bridge", "br3", "--address", "10.13.0.50/24", "--gateway", "10.13.0.1")
    lab("client", "add", "lab-a8", "c3", "--bridge", "br3", "--address", "10.23.0.50/24", "--gateway", "10.23.0.1")
    try:
        run("ip netns exec azb-a7-c-c3 ping -c 3 -W 1 10.23.0.50", check=False)
        peer = outage("azb-a7-c-c3", "10.23.0.50",
                      lambda: ssh(B, "systemctl restart azb-vpn-wgs2s.service"), count=100)
        # site B reboots (container halted and booted again): B's client must reach A's client again
        start = time.time()
        lab("restart", "lab-a8")
        lab("client", "del", "lab-a8", "c3")
        lab("client", "add", "lab-a8", "c3", "--bridge", "br3", "--address", "10.23.0.50/24", "--gateway", "10.23.0.1")
        reboot = None
        while time.time() - start < 120:
            if run("ip netns exec azb-a8-c-c3 ping -c 1 -W 1 10.13.0.50", check=False).returncode == 0:
                reboot = time.time() - start
                break
            time.sleep(0.2)
    finally:
        lab("client", "del", "lab-a7", "c3")
        lab("client", "del", "lab-a8", "c3")
    print()
    print("| path | Mbit/s |")
    print("| --- | ---: |")
    for label, mbps in rows:
        print("| %s | %s |" % (label, "%.0f" % mbps if mbps else "failed"))
    print()
    print("| recovery | seconds |")
    print("| --- | ---: |")
    print("| site B restarts its WireGuard unit: longest gap in 100 ms pings A->B | %s |"
          % ("%.1f" % peer if peer is not None else "did not recover"))
    print("| site B reboots: from the restart command until B's client reaches A's again | %s |"
          % ("%.1f" % reboot if reboot is not None else "did not recover in 120 s"))
    if args.destroy:
        run(["molecule", "destroy", "-s", "multisite"], timeout=300, env=env)


if __name__ == "__main__":
    main()
