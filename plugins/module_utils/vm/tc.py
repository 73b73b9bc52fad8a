# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-NIC rate limits with tc on the VM's tap device, for kernels without sfq (libvirt's
``<bandwidth>`` needs it).

Directions are the VM's: ``inbound`` (to the guest) is the tap's egress, shaped by HTB on the tap;
``outbound`` (from the guest) is the tap's ingress, redirected (u32 + mirred) to an IFB device that is
shaped by HTB too, so both directions are shaped, not policed. Pure: commands out, state parsed in;
running them is the adapter's job. The libvirt hook (roles/workloads/files/azb_vm_qemu_hook.py) imports
this very file, so a VM started at boot gets the same shaping the module applies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

_RATE_UNITS = {"bit": 0.001, "kbit": 1, "mbit": 1000, "gbit": 1000000, "bps": 0.008,
               "kbps": 8, "mbps": 8000}


# The XML namespace of azb_vm's domain metadata; here because the libvirt hook reads it through
# this file alone (it runs on the box without the collection).
AZB_NS = "https://azblink.dev/xmlns/nfv/vm/1"


def rate_limits_from_xml(xml_text):
    """tap -> {inbound_kbit, outbound_kbit, burst_kb} from azb_vm's metadata in a domain XML."""
    out = {}
    vm = ET.fromstring(xml_text).find("metadata/{%s}vm" % AZB_NS)
    if vm is None:
        return out
    for n in vm.findall("{%s}nic" % AZB_NS):
        out[n.get("tap")] = dict((k, int(v)) for k, v in n.attrib.items()
                                 if k in ("inbound_kbit", "outbound_kbit", "burst_kb"))
    return out


def ifb_name(tap):
    """The IFB device that shapes a tap's ingress: 'az12345678n0' -> 'ai12345678n0'."""
    return "ai" + tap[2:] if tap.startswith("az") else ("i" + tap)[:15]


def default_burst_kb(kbit):
    """About 20 ms of traffic at the rate, at least 16 KiB (HTB needs more than one MTU)."""
    return max(16, kbit // 400)


def _htb(dev, kbit, burst_kb):
    return [["tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "10"],
            ["tc", "class", "replace", "dev", dev, "parent", "1:", "classid", "1:10", "htb",
             "rate", "%dkbit" % kbit, "ceil", "%dkbit" % kbit, "burst", "%dk" % burst_kb,
             "cburst", "%dk" % burst_kb]]


def apply_commands(tap, limits):
    """argv lists that make the tap's shaping equal ``limits`` ({} = no shaping). Order matters.

    Commands whose failure is expected (deleting what is not there) start with '-'.
    """
    cmds = [["-tc", "qdisc", "del", "dev", tap, "root"], ["-tc", "qdisc", "del", "dev", tap, "ingress"]]
    ifb = ifb_name(tap)
    if limits.get("inbound_kbit"):
        k = limits["inbound_kbit"]
        cmds += _htb(tap, k, limits.get("burst_kb") or default_burst_kb(k))
    if limits.get("outbound_kbit"):
        k = limits["outbound_kbit"]
        cmds += [["-ip", "link", "add", ifb, "type", "ifb"], ["ip", "link", "set", ifb, "up"],
                 ["-tc", "qdisc", "del", "dev", ifb, "root"]]  # HTB cannot "change" its defaults in place
        cmds += _htb(ifb, k, limits.get("burst_kb") or default_burst_kb(k))
        cmds += [["tc", "qdisc", "add", "dev", tap, "handle", "ffff:", "ingress"],
                 ["tc", "filter", "add", "dev", tap, "parent", "ffff:", "protocol", "all", "prio", "10",
                  "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb]]
    else:
        cmds.append(["-ip", "link", "del", ifb])
    return cmds


def parse_rate_kbit(text):
    m = re.match(r"^([\d.]+)([A-Za-z]+)$", text)
    if not m:
        return None
    return int(round(float(m.group(1)) * _RATE_UNITS.get(m.group(2).lower(), 0)))


def htb_rate(class_show_text):
    """Rate (kbit) of class 1:10 from ``tc class show dev X`` text, or None."""
    for line in class_show_text.splitlines():
        m = re.match(r"^class htb 1:10 .*\brate (\S+) ceil (\S+)", line.strip())
        if m:
            return parse_rate_kbit(m.group(1))
    return None


def has_redirect(filter_show_text, ifb):
    """Whether ``tc filter show dev TAP parent ffff:`` redirects to ``ifb``."""
    return ("Redirect to device %s" % ifb) in filter_show_text or ("to_dev\":\"%s\"" % ifb) in filter_show_text


def live_limits(tap_class, ifb_class, ingress_filters, ifb):
    """What is applied now, in the spec's terms (burst is not compared: tc rounds it)."""
    out = {}
    r = htb_rate(tap_class or "")
    if r:
        out["inbound_kbit"] = r
    r = htb_rate(ifb_class or "")
    if r and has_redirect(ingress_filters or "", ifb):
        out["outbound_kbit"] = r
    return out


def comparable(limits):
    return dict((k, v) for k, v in (limits or {}).items() if k in ("inbound_kbit", "outbound_kbit") and v)
