# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers: the model -> ``frr.conf`` and the FRR ``daemons`` file (no system access).

The text follows FRR 8.4's own ``show running-config`` layout (``exit`` closing each block), so
``frr-reload.py`` finds nothing to change when the running daemons already match it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

FRR_DAEMONS = ("bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "pim6d", "ldpd", "nhrpd",
               "eigrpd", "babeld", "sharpd", "pbrd", "bfdd", "fabricd", "vrrpd", "pathd")
MASK = "********"
SPF_DEFAULT = (0, 50, 5000)  # FRR 8.4's own, left out of its running config
# Every line that carries a secret, whoever wrote it: the secret is the last word.
_SECRET_LINE = re.compile(r"^(\s*(?:key-string|ip ospf authentication-key|ip ospf message-digest-key \d+ md5"
                          r"|ip rip authentication string))\s+\S+\s*$", re.M)


def mask(text):
    """The text with every key replaced by a mask: what output and diffs may show."""
    return _SECRET_LINE.sub(lambda mt: mt.group(1) + " " + MASK, text or "")


def keychain_name(ifname):
    return "azb-rip-%s" % ifname


def route_map_name(proto, source):
    return "AZB-%s-%s" % (proto.upper(), source.upper())


def zones_list_name(proto, source):
    return "azb-%s-%s-zones" % (proto, source)


def _prefix_entry(name, e):
    line = "ip prefix-list %s seq %d %s %s" % (name, e["seq"], e["action"], e["prefix"])
    if e["ge"] is not None:
        line += " ge %d" % e["ge"]
    if e["le"] is not None:
        line += " le %d" % e["le"]
    return line


def _static_line(r):
    parts = ["ip route", str(r["prefix"])]
    if r["blackhole"]:
        parts.append("blackhole")
    else:
        if r["via"]:
            parts.append(str(r["via"]))
        if r["interface"]:
            parts.append(r["interface"])
    if r["distance"] is not None:
        parts.append(str(r["distance"]))
    if r["table"] is not None:
        parts += ["table", str(r["table"])]
    return " ".join(parts)


def _redist_objects(site):
    """Prefix-lists and route-maps that carry redistribution filters: [(name, lines)]."""
    plists, rmaps = [], []
    for proto in ("ospf", "rip"):
        conf = site[proto]
        for r in (conf or {}).get("redistribute", []):
            if not (r["zones"] or r["prefix_list"]):
                continue
            rm = route_map_name(proto, r["source"])
            pl = r["prefix_list"]
            if r["zones"]:
                pl = zones_list_name(proto, r["source"])
                plists += [_prefix_entry(pl, {"seq": (i + 1) * 5, "action": "permit", "prefix": n,
                                              "ge": None, "le": None})
                           for i, n in enumerate(r["networks"])]
            rmaps += ["route-map %s permit 10" % rm, " match ip address prefix-list %s" % pl, "exit", "!"]
    return plists, rmaps


def _redist_line(proto, r):
    line = " redistribute %s" % r["source"]
    if r["metric"] is not None:
        line += " metric %d" % r["metric"]
    if r.get("metric_type"):
        line += " metric-type %d" % r["metric_type"]
    if r["zones"] or r["prefix_list"]:
        line += " route-map %s" % route_map_name(proto, r["source"])
    return line


def _interfaces(site):
    """interface name -> its lines, in a stable order (links first, then by name)."""
    lines = {}

    def add(ifname, line):
        lines.setdefault(ifname, []).append(line)

    for link in site["links"]:
        lines.setdefault(link["interface"], [])
        if link["address"]:
            add(link["interface"], " ip address %s" % link["address"])
    if site["ospf"]:
        for it in site["ospf"]["interfaces"]:
            ifn = it["ifname"]
            lines.setdefault(ifn, [])
            if it["auth"]:
                if it["auth"]["mode"] == "md5":
                    add(ifn, " ip ospf authentication message-digest")
                    add(ifn, " ip ospf message-digest-key %d md5 %s" % (it["auth"]["key_id"], it["auth"]["key"]))
                else:
                    add(ifn, " ip ospf authentication")
                    add(ifn, " ip ospf authentication-key %s" % it["auth"]["key"])
            add(ifn, " ip ospf area %s" % it["area"])
            if it["bfd"]:
                add(ifn, " ip ospf bfd")
                if it["bfd_profile"]:
                    add(ifn, " ip ospf bfd profile %s" % it["bfd_profile"])
            if it["cost"] is not None:
                add(ifn, " ip ospf cost %d" % it["cost"])
            if it["dead"] is not None:
                add(ifn, " ip ospf dead-interval %d" % it["dead"])
            if it["hello"] is not None:
                add(ifn, " ip ospf hello-interval %d" % it["hello"])
            if it["network"] and not it.get("network_implicit"):
                add(ifn, " ip ospf network %s" % it["network"])
            if it["passive"]:
                add(ifn, " ip ospf passive")
    if site["pim"]:
        for ifn in site["pim"]["interfaces"]:
            add(ifn, " ip pim")
        for ifn in site["pim"]["igmp"]:
            add(ifn, " ip igmp")
    if site["rip"]:
        for it in site["rip"]["interfaces"]:
            a = it["auth"]
            if not a:
                continue
            if a["mode"] == "md5":
                add(it["ifname"], " ip rip authentication key-chain %s" % keychain_name(it["ifname"]))
                add(it["ifname"], " ip rip authentication mode md5")
            else:
                add(it["ifname"], " ip rip authentication mode text")
                add(it["ifname"], " ip rip authentication string %s" % a["key"])
    return lines


def frr_conf(site, hostname=None, masked=False):
    out = ["frr version 8.4.4", "frr defaults traditional"]
    if hostname:
        out.append("hostname %s" % hostname)
    out += ["log syslog informational", "service integrated-vtysh-config", "!"]
    for r in site["static"]:
        out.append(_static_line(r))
    if site["pim"]:
        for rp in site["pim"]["rps"]:
            out.append("ip pim rp %s %s" % (rp["address"], rp["groups"]))
        if site["pim"]["ssm"]:
            out.append("ip pim ssm prefix-list %s" % site["pim"]["ssm"])
    out.append("!")
    for name in sorted(site["prefix_lists"]):
        out += [_prefix_entry(name, e) for e in site["prefix_lists"][name]]
    plists, rmaps = _redist_objects(site)
    out += plists
    out.append("!")
    ifaces = _interfaces(site)
    for ifn in sorted(ifaces):
        out.append("interface %s" % ifn)
        out += ifaces[ifn]
        out += ["exit", "!"]
    ospf = site["ospf"]
    if ospf:
        out += ["router ospf", " ospf router-id %s" % ospf["router_id"]]
        out += [_redist_line("ospf", r) for r in ospf["redistribute"]]
        if ospf.get("spf") and ospf["spf"] != SPF_DEFAULT:
            out.append(" timers throttle spf %d %d %d" % ospf["spf"])
        for aid in sorted(ospf["areas"]):
            if ospf["areas"][aid] != "normal":
                out.append(" area %s %s" % (aid, ospf["areas"][aid]))
        out += ["exit", "!"]
    rip = site["rip"]
    if rip:
        out += ["router rip"]
        for d in rip["distribute"]:
            out.append(" distribute-list prefix %s %s" % (d["prefix_list"], d["direction"]))
        out += [" network %s" % n for n in rip["networks"]]
        out += [" network %s" % it["ifname"] for it in rip["interfaces"]]
        out += [" passive-interface %s" % it["ifname"] for it in rip["interfaces"] if it["passive"]]
        out += [_redist_line("rip", r) for r in rip["redistribute"]]
        out += [" version 2", "exit", "!"]
        for it in rip["interfaces"]:
            if it["auth"] and it["auth"]["mode"] == "md5":
                out += ["key chain %s" % keychain_name(it["ifname"]), " key %d" % it["auth"]["key_id"],
                        "  key-string %s" % it["auth"]["key"], " exit", "exit", "!"]
    out += rmaps
    bfd = site["bfd"]
    if bfd:
        out.append("bfd")
        for name in sorted(bfd["profiles"]):
            p = bfd["profiles"][name]
            out.append(" profile %s" % name)
            # FRR leaves its defaults out of the running config: so do we, or reload never converges.
            if p["multiplier"] != 3:
                out.append("  detect-multiplier %d" % p["multiplier"])
            if p["rx"] != 300:
                out.append("  receive-interval %d" % p["rx"])
            if p["tx"] != 300:
                out.append("  transmit-interval %d" % p["tx"])
            out += [" exit", " !"]
        for pe in bfd["peers"]:
            head = " peer %s" % pe["address"]
            if pe["ifname"]:
                head += " interface %s" % pe["ifname"]
            out.append(head)
            if pe["profile"]:
                out.append("  profile %s" % pe["profile"])
            out += [" exit", " !"]
        out += ["exit", "!"]
    out.append("end")
    text = "\n".join(out) + "\n"
    return mask(text) if masked else text


# Every daemon a routing intent may need runs from the first apply on, whether configured or not:
# starting one later means restarting watchfrr, which systemd (cgroup v2) takes for the end of
# frr.service, stopping every daemon. A daemon with no configuration sends nothing.
# (zebra and staticd always run.)
MANAGED_DAEMONS = ("ospfd", "ripd", "pimd", "bfdd")


def daemons_file(site):
    """/etc/frr/daemons: which daemons watchfrr runs, and their options (vty on localhost only).
    ``None`` (state absent) turns them all off."""
    need = set(MANAGED_DAEMONS) if site is not None else set()
    lines = ["# Managed by azblink.nfv azb_routing: which FRR daemons run.", ""]
    lines += ["%s=%s" % (d, "yes" if d in need else "no") for d in FRR_DAEMONS]
    lines += ["", "vtysh_enable=yes", 'zebra_options="  -A 127.0.0.1 -s 90000000"']
    lines += ['%s_options="-A 127.0.0.1"' % d for d in ("ospfd", "ripd", "pimd", "bfdd", "staticd")]
    return "\n".join(lines) + "\n"
