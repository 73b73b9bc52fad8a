# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One VNF of a service chain in its own network namespace (run by azb-vnf@NAME.service).

  net-up NAME    namespace azbv-NAME, its two veths to the box (in: traffic enters the VNF, out: it
                 leaves), addresses, routes (a bump in the wire: whatever comes in by one side leaves
                 by the other), the box's instance routing tables, the VNF's own firewall rules
  run NAME       exec the VNF's process inside the namespace (its log goes to its own directory)
  net-down NAME  delete the namespace (its veths and the routes through them go with it)

A ``vm`` VNF is a libvirt guest (its NICs on two bridges, in and out): net-up makes the bridges
and the box's routes into the guest, run follows libvirt's events (its log), net-down leaves the
bridges (the running guest's NICs hang on them) and takes only the routes away.

Reads /etc/azblink/chain/vnf/NAME.json, written by the azb_chain module.
"""
import json
import os
import subprocess
import sys

VNF_DIR = "/etc/azblink/chain/vnf"
BACK_TABLE = 100  # inside the namespace: what arrives by the out side goes back by the in side


def sh(*argv, **kw):
    check = kw.pop("check", True)
    res = subprocess.run(list(argv), capture_output=True, text=True, check=False, **kw)
    if check and res.returncode != 0:
        sys.stderr.write("azb-vnf: %s: %s\n" % (" ".join(argv), res.stderr.strip()))
        raise SystemExit(1)
    return res


def ns(conf, *argv, **kw):
    return sh("ip", "netns", "exec", conf["netns"], *argv, **kw)


def load(name):
    with open(os.path.join(VNF_DIR, name + ".json")) as fh:
        return json.load(fh)


def net_down(conf):
    if conf["kind"] == "vm":
        for host_if, table in ((conf["host_in"], conf["table_in"]), (conf["host_out"], conf["table_out"])):
            sh("ip", "route", "del", "default", "dev", host_if, "table", str(table), check=False)
        return
    sh("ip", "netns", "del", conf["netns"], check=False)
    for ifname in (conf["host_in"], conf["host_out"]):
        sh("ip", "link", "del", ifname, check=False)


def vm_links_up(conf):
    """The VM's two bridges (kept if they exist: a running guest's NICs are on them) and the box's
    routes into the guest by each side."""
    n = conf["net"]
    for host_if, host_addr, vm_addr, table in ((conf["host_in"], n["in_host"], n["in_vnf"], conf["table_in"]),
                                               (conf["host_out"], n["out_host"], n["out_vnf"], conf["table_out"])):
        if not os.path.exists("/sys/class/net/%s" % host_if):
            sh("ip", "link", "add", host_if, "type", "bridge", "stp_state", "0", "forward_delay", "0")
        sh("ip", "addr", "replace", "%s/%d" % (host_addr, n["prefix"]), "dev", host_if)
        sh("sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=0" % host_if)
        sh("ip", "link", "set", host_if, "up")
        # onlink: the bridge has no carrier until the guest's NIC joins it.
        sh("ip", "route", "replace", "default", "via", vm_addr, "dev", host_if, "onlink", "table", str(table))
    os.makedirs(conf["log_dir"], exist_ok=True)


def net_up(conf):
    if conf["kind"] == "vm":
        return vm_links_up(conf)
    net_down(conf)
    n, netns = conf["net"], conf["netns"]
    sh("ip", "netns", "add", netns)
    for side, host_if, host_addr, vnf_addr, table in (
            ("in", conf["host_in"], n["in_host"], n["in_vnf"], conf["table_in"]),
            ("out", conf["host_out"], n["out_host"], n["out_vnf"], conf["table_out"])):
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", side, "netns", netns)
        sh("ip", "addr", "add", "%s/%d" % (host_addr, n["prefix"]), "dev", host_if)
        sh("sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=0" % host_if)
        sh("ip", "link", "set", host_if, "up")
        ns(conf, "ip", "addr", "add", "%s/%d" % (vnf_addr, n["prefix"]), "dev", side)
        ns(conf, "ip", "link", "set", side, "up")
        # The box's table for this side: steered packets go to the VNF's address on it.
        sh("ip", "route", "replace", "default", "via", vnf_addr, "dev", host_if, "table", str(table))
    ns(conf, "ip", "link", "set", "lo", "up")
    for key in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                "net.ipv4.conf.in.rp_filter=0", "net.ipv4.conf.out.rp_filter=0"):
        ns(conf, "sysctl", "-q", "-w", key)
    ns(conf, "ip", "route", "add", "default", "via", n["out_host"], "dev", "out")
    # The probe sink lies beyond the VNF (out side), although inside the service network.
    ns(conf, "ip", "route", "add", conf["sink"] + "/32", "via", n["out_host"], "dev", "out")
    for net in conf["inside"]:
        ns(conf, "ip", "route", "add", net, "via", n["in_host"], "dev", "in", check=False)
    ns(conf, "ip", "route", "add", "default", "via", n["in_host"], "dev", "in", "table", str(BACK_TABLE))
    ns(conf, "ip", "rule", "add", "pref", "100", "iif", "out", "lookup", str(BACK_TABLE))
    if conf.get("nft"):
        ns(conf, "nft", "-f", conf["nft"])
    if conf.get("iptables"):
        with open(conf["iptables"]) as fh:
            ns(conf, "iptables-restore", input=fh.read())
    os.makedirs(conf["log_dir"], exist_ok=True)
    if conf["kind"] == "squid":
        sh("chown", "proxy:proxy", conf["log_dir"])


def run(conf):
    # A VM VNF has no namespace: its process (libvirt's event stream) runs on the box.
    argv = conf["argv"] if conf["kind"] == "vm" else ["ip", "netns", "exec", conf["netns"]] + conf["argv"]
    if conf.get("stdout"):
        fd = os.open(conf["stdout"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        os.dup2(fd, 1)
    os.execvp(argv[0], argv)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("net-up", "run", "net-down"):
        sys.stderr.write("usage: azb-vnf.py net-up|run|net-down NAME\n")
        return 2
    conf = load(sys.argv[2])
    {"net-up": net_up, "run": run, "net-down": net_down}[sys.argv[1]](conf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
