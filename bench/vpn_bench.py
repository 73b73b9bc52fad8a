"""Benchmark (not a test): throughput through the VPNs vs plain routing, and recovery after a restart.

Brings up the `multisite` Molecule scenario's two sites (lab-a7 = site A, lab-a8 = site B) with
`molecule converge -s multisite` unless --no-converge, then measures, each bounded (iperf3 -t 3):
  plain routing   site A's WAN address -> site B's WAN address (the path the tunnel itself rides)
  WireGuard s2s   10.99.0.1 -> 10.99.0.2 through wgs2s (wireguard-go in the lab)
  IPsec s2s       10.14.0.1 -> 10.24.0.1 through the ips tunnel (strongSwan's userspace ESP in the lab)
  road warrior    from a namespace on the internet to site A: plain, WireGuard (wgrw), OpenVPN (ovpn)
and the recovery time of the site-to-site tunnel after the peer (site B) restarts its tunnel unit,
and after a reboot of site B (pings from the clients in the sites' br3 zones).

The WireGuard comparison (issue 15), `--reps` rounds, the set-ups alternating within each round:
  sites' tunnel   box A -> box B through wgs2s (the vpn role's unit, wireguard-go)
  hand-built      box A -> box B through a wireguard-go tunnel set up by hand over the same WAN path
  office clients  a client in A's office -> one in B's office through wgs2s (forwarded, both firewalls)
  bare veth       a hand-built wireguard-go tunnel between two namespaces over one veth on this host
                  (the issue's first anchor: no appliances, no ISP routers)
with medians and the load average of each round.

`--appliances lab-aX,lab-aY` converges two sites of its own on those boxes (bench/vpn_sites.py: zones
and the WireGuard tunnel, no CA) and measures only the WireGuard comparison; the default (lab-a7,
lab-a8) takes the multisite scenario's boxes and measures every row. Prints tables. `--destroy`
removes the two appliances afterwards.
"""
import argparse
import glob
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import vpn_sites  # noqa: E402  (run as a script or with -m)

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


def other_rows(env):
    """The multisite scenario's rows: plain routing, IPsec, road warriors, recovery."""
    rows = []
    a_exec = SSH + ["root@" + A]
    rows.append(iperf(a_exec, B, B_WAN, "site A -> site B, plain routing (WAN to WAN)"))
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


def mbps(res):
    try:
        return json.loads(res.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6
    except (ValueError, KeyError):
        return None


def wireguard_comparison(prefixes, wans, clients, reps):
    """``reps`` rounds of the five WireGuard set-ups, alternating (the order rotates each round);
    -> {label: [Mbit/s per round]}, [load average per round]. ``prefixes``: the argv prefixes running
    a command on box A and box B; ``clients``: the network namespaces of A's and B's office clients."""

    def box(i, cmd):
        return run(prefixes[i] + [cmd], timeout=60, check=False).stdout

    hand = vpn_sites.hand_built(box, wans)
    vpn_sites.allow_iperf(box, 1, "wgs2s")
    vpn_sites.allow_iperf(box, 1, vpn_sites.HAND_DEV)
    veth = vpn_sites.VethPair()
    veth_end = []  # the client's argv prefix and the server's address, once up
    pid = "/run/azb-vpn-bench-iperf.pid"

    def on_box(addr):
        box(1, "[ -f {p} ] && kill $(cat {p}) 2>/dev/null; iperf3 -s -1 -D -B {a} -I {p}".format(p=pid, a=addr))
        time.sleep(0.5)
        return mbps(run(prefixes[0] + ["timeout 20 iperf3 -c %s -t 3 -J" % addr], timeout=30, check=False))

    def office(by_hand=False):
        for i in (0, 1):
            vpn_sites.hand_office(box, i, vpn_sites.OFFICES[1 - i], by_hand)
        run(["ip", "netns", "exec", clients[1], "sh", "-c", "[ -f {p} ] && kill $(cat {p}) 2>/dev/null; "
             "iperf3 -s -1 -D -B 10.23.0.50 -I {p}".format(p=pid + ".office")], check=False)
        time.sleep(0.5)
        return mbps(run(["ip", "netns", "exec", clients[0], "timeout", "20", "iperf3", "-c", "10.23.0.50", "-t", "3",
                         "-J"], timeout=30, check=False))

    def bare():
        veth.server()
        time.sleep(0.5)
        return mbps(run(veth_end[0] + ["timeout", "20", "iperf3", "-c", veth_end[1], "-t", "3", "-J"], timeout=30,
                        check=False))

    setups = [(LABEL_OURS, lambda: on_box("10.99.0.2")), (LABEL_HAND, lambda: on_box(hand[1])),
              (LABEL_OFFICE, office), (LABEL_OFFICE_HAND, lambda: office(True)), (LABEL_VETH, bare)]
    out = dict((label, []) for label, _f in setups)
    loads = []
    try:
        veth_end.extend(veth.up())
        for r in range(reps):
            order = setups[r % len(setups):] + setups[:r % len(setups)]
            for label, f in order:
                out[label].append(f())
                print("  round %d %-60s %s" % (r + 1, label, out[label][-1]), flush=True)
            loads.append(os.getloadavg()[0])
    finally:
        veth.down()
        for i in (0, 1):
            vpn_sites.clear_bench_rules(box, i)
    return out, loads


LABEL_OURS = "sites' tunnel (vpn role, wireguard-go), box A -> box B"
LABEL_HAND = "hand-built wireguard-go, same boxes, same WAN path"
LABEL_OFFICE = "sites' tunnel, office client A -> office client B (forwarded)"
LABEL_OFFICE_HAND = "hand-built wireguard-go, office client A -> office client B (forwarded)"
LABEL_VETH = "hand-built wireguard-go, two namespaces over one veth (no path)"


def print_comparison(out, loads):
    print()
    print("| set-up | Mbit/s per round | median | vs hand-built on the same path |")
    print("| --- | --- | ---: | ---: |")

    def median(label):
        ok = [v for v in out[label] if v]
        return statistics.median(ok) if ok else None
    same_path = {LABEL_OURS: LABEL_HAND, LABEL_OFFICE: LABEL_OFFICE_HAND}
    for label, vals in out.items():
        med, ref = median(label), median(same_path.get(label, label))
        print("| %s | %s | %s | %s |" % (label, ", ".join("%.0f" % v if v else "failed" for v in vals),
                                         "%.0f" % med if med else "-",
                                         "%.0f %%" % (100 * med / ref) if med and ref and label in same_path else ""))
    print("load average (1 min) after each round: %s" % ", ".join("%.1f" % v for v in loads))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--appliances", default="lab-a7,lab-a8",
                    help="site A,site B (default: the multisite scenario's; others: the bench's own two sites)")
    ap.add_argument("--reps", type=int, default=3, help="rounds of the WireGuard comparison")
    ap.add_argument("--no-converge", action="store_true")
    ap.add_argument("--destroy", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ, PATH=os.path.join(REPO, ".venv/bin") + ":" + os.environ["PATH"])
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build/collections"))
    names = args.appliances.split(",")
    multisite = names == ["lab-a7", "lab-a8"]
    if multisite:
        if not args.no_converge:
            for step in ("create", "prepare", "converge"):
                run(["molecule", step, "-s", "multisite"], timeout=900, env=env)
        prefixes = [SSH + ["root@" + A], SSH + ["root@" + B]]
        wans = [A_WAN, B_WAN]
        add_client = lab
    else:
        inventory = "/tmp/azb-vpn-bench-%s.yml" % "-".join(names)
        sites = vpn_sites.Sites(names, inventory)
        if not args.no_converge:
            sites.converge()
        prefixes = [SSH + ["%s@%s" % (h["ansible_user"], h["ansible_host"])] for h in sites.hosts]
        wans = sites.wan

        def add_client(*a):
            return vpn_sites.lab("--inventory", inventory, *a)
    ks = [n.rsplit("a", 1)[1] for n in names]
    clients = ["azb-a%s-c-bv3" % k for k in ks]
    for n, net in zip(names, ("10.13.0", "10.23.0")):
        add_client("client", "add", n, "bv3", "--bridge", "br3", "--address", net + ".50/24", "--gateway", net + ".1")
    try:
        out, loads = wireguard_comparison(prefixes, wans, clients, args.reps)
    finally:
        for n in names:
            add_client("client", "del", n, "bv3")
    print_comparison(out, loads)
    if multisite:
        other_rows(env)
    if args.destroy and multisite:
        run(["molecule", "destroy", "-s", "multisite"], timeout=300, env=env)
    elif args.destroy:
        add_client("down", "--only", *names)


if __name__ == "__main__":
    main()
