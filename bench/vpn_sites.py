"""Two sites for vpn_bench.py on appliances of the caller's choice (`--appliances lab-aX,lab-aY`), so
the bench need not take the multisite scenario's boxes: the same zones and WireGuard site-to-site
tunnel as extensions/molecule/multisite (site A on its wan1, site B on its wan2), converged with the
hypervisor, zones and vpn roles from build/collections. Also the hand-built wireguard-go tunnel a
user would set up by hand over the same WAN path, to compare against."""
import json
import os
import subprocess
import tempfile
import time

from bench.lablib import REPO, host_ssh, lab, lab_host

WG_NET = "10.99.0.0/24"
HAND_PORT = 51899
HAND_DEV = "azbhand0"


def site_vars(host, wan_index, office):
    w = host["azb_lab_wans"][wan_index]
    return {"azb_zones": [
        {"name": "uplink", "role": "wan", "interfaces": [w["interface"]], "address": w["address"],
         "gateway": w["gateway"]},
        {"name": "office", "bridge": "br3", "role": "trusted", "address": office},
        {"name": "vpn", "role": "trusted"},
    ]}


def wan_address(host, wan_index):
    return host["azb_lab_wans"][wan_index]["address"].split("/")[0]


class Sites(object):
    """Site A = first appliance (its wan1), site B = second (its wan2), as in the multisite scenario."""

    def __init__(self, names, inventory):
        self.names = names
        self.inventory = inventory
        lab("--inventory", inventory, "up", "--names", names[0], names[1], "--image", "nfv")
        self.hosts = [lab_host(inventory, n) for n in names]
        self.wan = [wan_address(self.hosts[0], 0), wan_address(self.hosts[1], 1)]

    def ssh(self, i, cmd, timeout=60):
        return host_ssh(self.hosts[i], cmd, timeout)

    def converge(self):
        a, b = self.names
        group = {
            "azb_management_sources": ["198.18.0.1/32"],
            "azb_zones_confirm_timeout": 30,
            "azb_vpn_export_local_dir": os.path.join(tempfile.gettempdir(), "azb-vpn-bench-export"),
            "azb_policies": [
                {"name": "office-to-sites", "from": ["office"], "to": ["vpn"], "proto": "any"},
                {"name": "sites-to-office", "from": ["vpn"], "to": ["office"], "proto": "any"},
                {"name": "sites-ping-the-box", "from": ["vpn"], "to": ["self"], "proto": "icmp"},
            ],
            "azb_vpn_tunnels": [{
                "name": "wgs2s", "type": "wireguard", "network": WG_NET, "port": 51820, "zone": "vpn",
                "table": 200, "peers": [
                    {"name": a, "address": "10.99.0.1", "endpoint": "%s:51820" % self.wan[0], "zones": ["office"]},
                    {"name": b, "address": "10.99.0.2", "endpoint": "%s:51820" % self.wan[1], "zones": ["office"]},
                ]}],
        }
        hosts = {}
        for i, (name, host) in enumerate(zip(self.names, self.hosts)):
            hosts[name] = dict((k, v) for k, v in host.items() if k.startswith("ansible_"))
            hosts[name].update(site_vars(host, i, "10.%d3.0.1/24" % (i + 1)))
        inv = os.path.join(tempfile.gettempdir(), "azb-vpn-bench-sites.json")
        with open(inv, "w") as fh:
            json.dump({"all": {"vars": group, "children": {"sites": {"hosts": hosts}}}}, fh)
        play = os.path.join(tempfile.gettempdir(), "azb-vpn-bench-play.yml")
        with open(play, "w") as fh:
            fh.write("- hosts: sites\n  become: true\n  gather_facts: true\n"
                     "  roles: [azblink.nfv.hypervisor, azblink.nfv.zones, azblink.nfv.vpn]\n")
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
        t = time.monotonic()
        res = subprocess.run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", inv, play], env=env,
                             capture_output=True, text=True, timeout=1200, check=False)
        if res.returncode != 0:
            raise SystemExit("converge failed:\n" + res.stdout[-3000:])
        print("converged %s in %.0f s" % (", ".join(self.names), time.monotonic() - t))


BENCH_RULES = "azb-bench"


def clear_bench_rules(ssh, i):
    """Remove what the bench added to box i: the hand-built device and its rules in the zones input chain."""
    hand_office(ssh, i, None, False)
    ssh(i, "ip link del {d} 2>/dev/null; for c in input forward; do for h in $(nft -a list chain inet azblink $c "
           "2>/dev/null | sed -n 's/.*{m}.*# handle //p'); do nft delete rule inet azblink $c handle $h; done; done"
        .format(d=HAND_DEV, m=BENCH_RULES))


def allow_iperf(ssh, i, dev):
    """iperf3's port on box i from ``dev`` (the multisite scenario declares no such policy)."""
    ssh(i, "nft insert rule inet azblink input iifname %s tcp dport 5201 accept comment %s" % (dev, BENCH_RULES))


OFFICES = ("10.13.0.0/24", "10.23.0.0/24")


def hand_office(ssh, i, peer_office, on):
    """Send box i's traffic for the other site's office through the hand-built tunnel (a rule before
    the main table, as a user would add) and let it through the forward chain; ``on=False`` undoes it."""
    if not on:
        ssh(i, "ip rule del pref 90 2>/dev/null; ip route flush table 199 2>/dev/null; for h in $(nft -a list chain "
               "inet azblink forward 2>/dev/null | sed -n 's/.*%s-office.*# handle //p'); do "
               "nft delete rule inet azblink forward handle $h; done" % BENCH_RULES)
        return
    ssh(i, "ip route replace {o} dev {d} table 199 && ip rule add pref 90 to {o} lookup 199 && "
           "nft insert rule inet azblink forward iifname {d} accept comment {c}-office && "
           "nft insert rule inet azblink forward oifname {d} accept comment {c}-office"
        .format(o=peer_office, d=HAND_DEV, c=BENCH_RULES))


def hand_built(ssh, wans):
    """The tunnel a user builds by hand on the two boxes over the same WAN path: wireguard-go with its
    defaults, ``wg set``, an address, MTU 1420 (wg-quick's), and accept rules at the top of the zones
    input chain for its port and its device (what the user must add for it to pass at all).
    ``ssh(i, cmd)`` runs on box i; ``wans``: the two WAN addresses. Returns the two tunnel addresses."""
    addrs = ["10.95.0.1", "10.95.0.2"]
    pubs = []
    for i in (0, 1):
        clear_bench_rules(ssh, i)
        pubs.append(ssh(i, "umask 077; wg genkey > /run/azbhand.key && wg pubkey < /run/azbhand.key").strip())
    for i in (0, 1):
        peer = 1 - i
        ssh(i, "wireguard-go {d} && wg set {d} listen-port {p} private-key /run/azbhand.key peer {pub} "
               "endpoint {ep}:{p} allowed-ips {pa}/32,{po} && ip address add {a}/24 dev {d} && "
               "ip link set {d} mtu 1420 up && "
               "nft insert rule inet azblink input udp dport {p} accept comment {c} && "
               "nft insert rule inet azblink input iifname {d} accept comment {c}"
            .format(d=HAND_DEV, p=HAND_PORT, pub=pubs[peer], ep=wans[peer], pa=addrs[peer], a=addrs[i],
                    po=OFFICES[peer], c=BENCH_RULES))
    return addrs


class VethPair(object):
    """The issue's first anchor: a hand-built wireguard-go tunnel between two bare namespaces on this
    host over one veth (no appliance, no ISP routers, no firewall) - what the path costs, not the product."""
    NS = ("azb-vpnb-x", "azb-vpnb-y")
    DEV = ("wgbx0", "wgby0")

    def __init__(self):
        from bench.lablib import sh
        self.sh = sh
        self.procs = []

    def ns(self, k, cmd):
        return self.sh(["ip", "netns", "exec", self.NS[k], "sh", "-c", cmd], timeout=30)

    def up(self):
        self.down()
        for n in self.NS:
            self.sh(["ip", "netns", "add", n])
        self.sh(["ip", "link", "add", "vpnbx", "netns", self.NS[0], "type", "veth", "peer", "name", "vpnby",
                 "netns", self.NS[1]])
        pubs = []
        for k, dev in ((0, "vpnbx"), (1, "vpnby")):
            self.ns(k, "ip link set lo up && ip address add 192.0.2.%d/30 dev %s && ip link set %s up"
                    % (249 + k, dev, dev))
            pubs.append(self.ns(k, "umask 077; wg genkey > /run/%s.key && wg pubkey < /run/%s.key"
                                % (self.NS[k], self.NS[k])).stdout.strip())
        for k in (0, 1):
            # one device name per namespace: wireguard-go's control socket (/run/wireguard/NAME.sock)
            # is in the shared file system
            self.ns(k, "wireguard-go {d} && wg set {d} listen-port 51898 private-key /run/{n}.key peer {pub} "
                       "endpoint 192.0.2.{ep}:51898 allowed-ips 10.94.0.{pa}/32 && "
                       "ip address add 10.94.0.{a}/24 dev {d} && ip link set {d} mtu 1420 up"
                    .format(d=self.DEV[k], n=self.NS[k], pub=pubs[1 - k], ep=249 + 1 - k, pa=2 - k, a=1 + k))
        return ["ip", "netns", "exec", self.NS[0]], "10.94.0.2"

    def server(self):
        # a leftover server of a failed run is ours: by its pid file, never by name
        self.ns(1, "[ -f /run/azb-vpnb-iperf.pid ] && kill $(cat /run/azb-vpnb-iperf.pid) 2>/dev/null; "
                   "iperf3 -s -1 -D -B 10.94.0.2 -I /run/azb-vpnb-iperf.pid")

    def down(self):
        for k, n in enumerate(self.NS):
            self.sh(["ip", "netns", "exec", n, "ip", "link", "del", self.DEV[k]], check=False)
            self.sh(["rm", "-f", "/run/%s.key" % n], check=False)
            self.sh(["ip", "netns", "del", n], check=False)
