# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel and host capability probes of an appliance.

Each probe runs in a throwaway network namespace (``unshare --net``), so it can try the real thing
(create a VRF, a WireGuard link, an sfq qdisc, an ESP state) without touching the host's own
network. Features the kernel lacks are then rendered and unit-tested by the modules that need them,
and live tests skip them with the probe's answer as the reason.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# name -> (description, shell snippet run inside a fresh network namespace with a veth link d0)
PROBES = {
    "nftables": ("nftables (inet family, sets, verdict maps)",
                 "nft -f - <<'EOF'\ntable inet azbprobe {\n  map m { type ipv4_addr : verdict; }\n"
                 "  chain c { type filter hook forward priority 0; ip saddr vmap @m; }\n}\nEOF"),
    "bridge": ("Linux bridge", "ip link add b0 type bridge"),
    "bridge_vlan_filtering": ("bridge VLAN filtering",
                              "ip link add b0 type bridge vlan_filtering 1"),
    "vlan": ("802.1Q VLAN devices", "ip link add link d0 name d0.10 type vlan id 10"),
    "vrf": ("VRF devices", "ip link add v0 type vrf table 4242"),
    "wireguard_kernel": ("in-kernel WireGuard", "ip link add wg0 type wireguard"),
    "ipsec_esp": ("kernel IPsec ESP (xfrm)",
                  "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 mode tunnel "
                  "enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff "
                  "auth 'hmac(sha256)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
    "qdisc_htb": ("HTB qdisc", "tc qdisc add dev d0 root handle 1: htb default 1"),
    "qdisc_tbf": ("TBF qdisc", "tc qdisc add dev d0 root tbf rate 1mbit burst 32kbit latency 50ms"),
    "qdisc_sfq": ("SFQ qdisc", "tc qdisc add dev d0 root sfq"),
    "qdisc_fq_codel": ("fq_codel qdisc", "tc qdisc add dev d0 root fq_codel"),
    "qdisc_netem": ("netem qdisc", "tc qdisc add dev d0 root netem delay 1ms"),
    "qdisc_ingress": ("ingress qdisc", "tc qdisc add dev d0 ingress"),
    "ifb": ("IFB devices", "ip link add i0 type ifb"),
    "tun": ("TUN/TAP devices", "ip tuntap add dev t0 mode tap"),
}

# veth, not dummy: some kernels (this lab host) are built without the dummy driver.
PRELUDE = "set -e; ip link set lo up; ip link add d0 type veth peer name d1; ip link set d0 up; "


def probe_command(name):
    """The argv that answers one probe: exit 0 means the feature is there."""
    return ["unshare", "--net", "sh", "-c", PRELUDE + PROBES[name][1]]


def host_facts():
    """Facts read from the filesystem, not from probes."""
    return {
        "kvm": os.path.exists("/dev/kvm"),
        "cgroups_writable": os.access("/sys/fs/cgroup", os.W_OK),
    }


def gather(run, names=None):
    """Run the probes; ``run(argv) -> (rc, stdout, stderr)`` is the system adapter.

    Returns (capabilities, reasons): a name -> bool map, and for each missing feature the error the
    kernel gave, which live tests print when they skip.
    """
    caps, reasons = {}, {}
    for name in names or sorted(PROBES):
        if name not in PROBES:
            raise KeyError(name)
        rc, _out, err = run(probe_command(name))
        caps[name] = rc == 0
        if rc != 0:
            reasons[name] = "%s unavailable: %s" % (PROBES[name][0], (err or "").strip()
                                                    or "exit %d" % rc)
    caps.update(host_facts())
    return caps, reasons
