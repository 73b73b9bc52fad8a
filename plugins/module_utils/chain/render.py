# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers of azb_chain: the steering table, ip rules, the VNFs' files and the units.

Data path (docs/chain.md has the picture): a chain's packets are steered hop by hop with policy
routing. Each pass through the box is recognised by the interface it arrives on (a zone = the
classifier, a VNF's out side = forward, a VNF's in side = a reply) and gets the mark of its next
route from a per-position map of ``symhash`` buckets (``steer.py``). Passes between hops are not
tracked (``notrack``): only the exit segment is a conntrack entry, so the exit NAT happens once, on
the way out, and its replies, de-NATed, are steered back by the chain number kept in the conntrack
mark. The health service rewrites the maps in one nft transaction when an instance fails or recovers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.chain import steer

TABLE = "azblink_chain"
CONF_DIR = "/etc/azblink/chain"
NFT_FILE = CONF_DIR + "/chain.nft"
BATCH_FILE = CONF_DIR + "/rules.batch"
HEALTH_FILE = CONF_DIR + "/health.json"
VNF_DIR = CONF_DIR + "/vnf"
LOG_DIR = "/var/log/azblink/vnf"
LIB_DIR = "/usr/local/lib/azblink/chain"
UNIT_DIR = "/etc/systemd/system"
UNIT_CHAIN = "azb-chain.service"
UNIT_HEALTH = "azb-chain-health.service"
UNIT_VNF = "azb-vnf@.service"
SINK_NETNS = "azbc-sink"
SINK_HOST_IF = "azbcsink"
PROBE_NETNS = "azbc-probe"
PROBE_HOST_IF = "azbcprobe"
BLACKHOLE_METRIC = 4000
HEADER = "#!/usr/sbin/nft -f\n# Managed by azblink.nfv azb_chain; changes are overwritten.\n"


def _q(s):
    return '"%s"' % s


def _hex(v):
    return "0x%08x" % v


def _set(items):
    items = list(items)
    return items[0] if len(items) == 1 else "{ %s }" % ", ".join(items)


def chain_data(site):
    """The chains as the plain data steer.py works on."""
    out = []
    for c in site.chains:
        hops = []
        for h in c.hops:
            hops.append({"name": h.name, "mode": h.mode, "on_failure": h.on_failure,
                         "instances": [{"name": v.name, "route_in": v.route_in, "route_out": v.route_out}
                                       for v in h.instances]})
        out.append({"name": c.name, "number": c.number, "exit_route": c.number, "hops": hops})
    return out


def _classifier(site, c):
    """The match part of a chain's classifier rules, one per source kind."""
    tail = []
    if c.destinations:
        tail.append("ip daddr %s" % _set(str(n) for n in c.destinations))
    else:
        away = [str(n) for n in site.internal] + [str(site.service_network)]
        tail.append("ip daddr != { %s }" % ", ".join(away))
    tail.append("fib daddr type != local")
    if c.proto in ("tcp", "udp"):
        tail.append("meta l4proto %s" % c.proto)
        if c.ports:
            tail.append("th dport %s" % _set(str(lo) if lo == hi else "%d-%d" % (lo, hi) for lo, hi in c.ports))
    elif c.proto == "icmp":
        tail.append("meta l4proto icmp")
    rules = []
    ifnames = sorted(set(i for s in c.sources for i in s.ifnames))
    nets = sorted(set(str(n) for s in c.sources for n in s.networks if n.version == 4))
    if ifnames:
        rules.append(" ".join(["iifname %s" % _set(_q(i) for i in ifnames)] + tail))
    if nets:
        rules.append(" ".join(["ip saddr %s" % _set(nets)] + tail))
    return rules


def probe_rules(site):
    """Health probes (probe namespace -> an instance -> sink, and back the same way) and nothing else
    of theirs is steered: the instance is named by the probe's address (``probe_route``/``probe_back``)."""
    s = site.sink
    main = _hex(steer.ROUTE_MAIN << steer.ROUTE_SHIFT)
    L = []
    if site.vnfs:
        L += ["iifname %s ip daddr %s meta mark set ip saddr map @probe_route" % (_q(PROBE_HOST_IF), s["sink"]),
              "iifname %s ip saddr %s meta mark set ip daddr map @probe_back" % (_q(SINK_HOST_IF), s["sink"])]
    L += ["ip daddr %s meta mark set %s" % (s["sink"], main), "ip saddr %s meta mark set %s" % (s["sink"], main),
          "ip daddr %s meta mark set %s" % (s["probe_net"], main)]
    return L


def steering_rules(site):
    """Rules that give a packet the mark of its next route; the same in both prerouting chains."""
    L = []
    for c in site.chains:
        action = "meta mark set symhash mod %d map @c%d_f0" % (steer.BUCKETS, c.number)
        L += ["%s %s" % (r, action) for r in _classifier(site, c)]
        for k, h in enumerate(c.hops, 1):
            outs = _set(_q(v.host_out) for v in h.instances)
            ins = _set(_q(v.host_in) for v in h.instances)
            L.append("iifname %s meta mark set symhash mod %d map @c%d_f%d" % (outs, steer.BUCKETS, c.number, k))
            L.append("iifname %s meta mark set symhash mod %d map @c%d_r%d" % (ins, steer.BUCKETS, c.number, k))
    return L


def nft_table(site, alive=()):
    """The steering table; its maps hold the routes for ``alive`` (the health service rewrites them)."""
    sink = site.sink["sink"]
    data = chain_data(site)
    maps = steer.maps(data, set(alive))
    svc_ifs = sorted([v.host_in for v in site.vnfs] + [v.host_out for v in site.vnfs])
    L = ["table inet %s {" % TABLE]
    for name in sorted(maps):
        L += ["\tmap %s {" % name, "\t\ttypeof symhash mod %d : meta mark" % steer.BUCKETS,
              "\t\telements = { %s }" % steer.map_elements(maps[name]), "\t}"]
    if site.vnfs:
        for name, attr in (("probe_route", "route_in"), ("probe_back", "route_out")):
            L += ["\tmap %s {" % name, "\t\ttype ipv4_addr : mark",
                  "\t\telements = { %s }" % ", ".join("%s : %s" % (v.net["probe"], _hex(getattr(v, attr) << steer.ROUTE_SHIFT))
                                                      for v in site.vnfs), "\t}"]
    main = _hex(steer.ROUTE_MAIN << steer.ROUTE_SHIFT)
    drop = _hex(steer.ROUTE_DROP << steer.ROUTE_SHIFT)
    # Raw: decide before conntrack which passes are tracked (only the exit segment) and drop blocked ones.
    L += ["\tchain raw_prerouting {", "\t\ttype filter hook prerouting priority raw; policy accept;"]
    L += ["\t\t%s notrack return" % r for r in probe_rules(site)]
    if svc_ifs:
        # A VNF talking to the box itself (a proxy's DNS): delivered, not steered.
        L.append("\t\tiifname %s fib daddr type local notrack meta mark set %s return" % (_set(_q(i) for i in svc_ifs), main))
    L += ["\t\t" + r for r in steering_rules(site)]
    L += ["\t\tmeta mark and %s == %s drop" % (_hex(m.ROUTE_MASK), drop),
          # Route ids from 0x10 up are passes between hops: untracked. Exits (1..15) stay tracked.
          "\t\tmeta mark and 0x0ff00000 != 0 notrack", "\t}"]
    # After de-NAT (dstnat + 10): replies of the exit segment go back through the last hop, and every
    # mark is set again because an earlier mangle chain (azb_wan_policy's) may have rewritten it.
    L += ["\tchain prerouting {", "\t\ttype filter hook prerouting priority dstnat + 10; policy accept;"]
    L += ["\t\t%s return" % r for r in probe_rules(site)]
    for c in site.chains:
        L.append("\t\tct direction reply ct mark and %s == %s meta mark set symhash mod %d map @c%d_r%d return"
                 % (_hex(m.CHAIN_CT_MASK), _hex(c.number << m.CHAIN_CT_SHIFT), steer.BUCKETS, c.number, len(c.hops) + 1))
    if svc_ifs:
        L.append("\t\tiifname %s fib daddr type local meta mark set %s return" % (_set(_q(i) for i in svc_ifs), main))
    L += ["\t\t" + r for r in steering_rules(site)]
    for c in site.chains:
        L.append("\t\tmeta mark and %s == %s ct mark set ct mark and 0x0fffffff or %s"
                 % (_hex(m.ROUTE_MASK), _hex(c.number << steer.ROUTE_SHIFT), _hex(c.number << m.CHAIN_CT_SHIFT)))
    L += ["\t}"]
    # A proxy hop's own connections leave with its service address: masquerade them on WAN exits.
    wan_chains = [c for c in site.chains if c.exit_kind == "wan"]
    L += ["\tchain postrouting {", "\t\ttype nat hook postrouting priority srcnat - 5; policy accept;"]
    for c in wan_chains:
        L.append("\t\tct mark and %s == %s ip saddr %s masquerade"
                 % (_hex(m.CHAIN_CT_MASK), _hex(c.number << m.CHAIN_CT_SHIFT), site.service_network))
    L += ["\t}", "}"]
    return "\n".join(L) + "\n"


def nft_file(site):
    return HEADER + "table inet %s\ndelete table inet %s\n" % (TABLE, TABLE) + nft_table(site)


def nft_removal():
    return "table inet %s\ndelete table inet %s\n" % (TABLE, TABLE)


# -- ip rules --------------------------------------------------------------------------------------

def route_table(site):
    """{route id: table or 'main'/'blackhole'} of every route the marks use."""
    out = {steer.ROUTE_MAIN: "main", steer.ROUTE_DROP: "blackhole"}
    for c in site.chains:
        out[c.number] = c.exit_table
    for v in site.vnfs:
        out[v.route_in] = m.TABLE_BASE + v.route_in
        out[v.route_out] = m.TABLE_BASE + v.route_out
    return out


def rules(site):
    """Desired ip rules, as the normalised strings the adapter makes of ``ip -j rule``."""
    if not site.chains and not site.vnfs:
        return []
    out = []
    for rid, table in sorted(route_table(site).items()):
        mark = "fwmark %s/%s" % (hex(rid << steer.ROUTE_SHIFT), hex(m.ROUTE_MASK))
        out.append("%d %s %s" % (m.RULE_PREF, mark, "blackhole" if table == "blackhole" else "lookup %s" % table))
    # A fail-closed exit whose table has no route does not fall through to the main table.
    for c in site.chains:
        if c.exit_on_failure == "fail_closed":
            mark = "fwmark %s/%s" % (hex(c.number << steer.ROUTE_SHIFT), hex(m.ROUTE_MASK))
            out.append("%d %s blackhole" % (m.RULE_PREF + 1, mark))
    return sorted(out)


def rule_argv(rule):
    """'950 fwmark X/Y lookup T' -> the arguments of ``ip rule add``."""
    parts = rule.split()
    return ["pref", parts[0]] + parts[1:]


def blackhole_routes(site):
    """A last-resort route in every instance table: a dead VNF's traffic is dropped, never leaked."""
    return ["route replace blackhole default table %d metric %d" % (m.TABLE_BASE + r, BLACKHOLE_METRIC)
            for v in site.vnfs for r in (v.route_in, v.route_out)]


def batch(site):
    return "".join("rule add %s\n" % " ".join(rule_argv(r)) for r in rules(site)) + \
        "".join(line + "\n" for line in blackhole_routes(site))


# -- the VNFs --------------------------------------------------------------------------------------

def _inside(site, v):
    """Networks a VNF sends back by its in side: the sources of its chain and the service network."""
    nets = set([str(site.service_network)])
    for c in site.chains:
        if any(v in h.instances for h in c.hops):
            nets.update(str(n) for s in c.sources for n in s.inside if n.version == 4)
    return sorted(nets)


def vnf_nft(site, v):
    """The VNF's own nft ruleset (inside its namespace)."""
    sink = site.sink["sink"]
    cfg = v.config
    if v.kind == "nftables":
        L = ["table inet vfw {", "\tchain forward {",
             "\t\ttype filter hook forward priority filter; policy %s;" % cfg["policy"],
             "\t\tct state established,related accept", "\t\tct state invalid drop",
             # The health probe must be let through: it proves this firewall forwards.
             "\t\tip daddr %s tcp dport 80 accept" % sink]
        L += ["\t\t%s" % r for r in cfg["rules"]]
        if cfg["policy"] == "drop":
            L.append("\t\tlog group 1 prefix \"vfw-%s drop \"" % v.name)
        L += ["\t}", "\tchain log_new {", "\t\ttype filter hook forward priority filter + 10; policy accept;",
              "\t\tct state new ip daddr != %s log group 1 prefix \"vfw-%s accept \"" % (sink, v.name), "\t}", "}"]
        return "\n".join(L) + "\n"
    if v.kind == "squid":
        ports = _set(str(p) for p in cfg["intercept_ports"])
        return ("table ip proxy {\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                "\t\tiifname \"in\" tcp dport %s redirect to :3129\n\t}\n}\n" % ports)
    return ""


def vnf_iptables(v):
    """Suricata's NFQUEUE rule (this kernel has the xt NFQUEUE target, not nft's queue statement).
    No --queue-bypass: a dead IPS drops, and the health service decides bypass or block."""
    return "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j NFQUEUE --queue-num 0\nCOMMIT\n"


SURICATA_YAML = """%%YAML 1.1
---
# Managed by azblink.nfv azb_chain: IPS %(name)s on NFQUEUE 0 in its own namespace.
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]"
    EXTERNAL_NET: "any"
  port-groups:
    HTTP_PORTS: "80"
    SHELLCODE_PORTS: "!80"
    ORACLE_PORTS: 1521
    SSH_PORTS: 22
    DNP3_PORTS: 20000
    MODBUS_PORTS: 502
    FILE_DATA_PORTS: "[$HTTP_PORTS,110,143]"
    FTP_PORTS: 21
    GENEVE_PORTS: 6081
    VXLAN_PORTS: 4789
    TEREDO_PORTS: 3544
default-log-dir: %(logs)s
stats:
  enabled: no
outputs:
  - fast:
      enabled: yes
      filename: fast.log
      append: yes
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert:
            tagged-packets: no
        - drop:
            alerts: yes
logging:
  default-log-level: notice
  outputs:
    - console:
        enabled: no
    - file:
        enabled: yes
        level: info
        filename: suricata.log
nfq:
  mode: accept
unix-command:
  enabled: no
app-layer:
  protocols:
    http:
      enabled: yes
    tls:
      enabled: yes
detect:
  profile: low
stream:
  inline: auto
"""


def suricata_yaml(v):
    """A complete, small Suricata configuration: eve.json holds alerts and drops only, no stats, no
    shared unix socket (several instances run on one box)."""
    return SURICATA_YAML % {"logs": "%s/%s" % (LOG_DIR, v.name), "name": v.name}


def suricata_rules(v):
    """IPS mode drops what the rules match, IDS mode only alerts: the rules' action follows the mode."""
    out = []
    for r in v.config["rules"]:
        action, rest = r.split(None, 1)
        if v.config["ips_mode"] == "ips" and action == "alert":
            action = "drop"
        elif v.config["ips_mode"] == "ids" and action in ("drop", "reject"):
            action = "alert"
        out.append("%s %s" % (action, rest))
    return "\n".join(out) + "\n"


def squid_conf(site, v):
    logs = "%s/%s" % (LOG_DIR, v.name)
    allow = v.config["allow"] or ["all"]
    L = ["# Managed by azblink.nfv azb_chain.", "http_port 3128", "http_port 3129 intercept",
         "acl azb_clients src %s" % " ".join(allow) if allow != ["all"] else "acl azb_clients src all",
         "http_access allow azb_clients", "http_access deny all",
         "cache deny all", "cache_mem 8 MB",
         # Health probes (to the sink) are not logged: the access log is the clients'.
         "acl azb_probe dst %s/32" % site.sink["sink"],
         "access_log stdio:%s/access.log squid !azb_probe" % logs, "cache_log %s/cache.log" % logs,
         "cache_store_log none", "logfile_rotate 0",
         # systemd tracks the process; a pid file would only outlive a killed one.
         "pid_filename none",
         "coredump_dir /var/spool/squid", "shutdown_lifetime 1 seconds",
         "forwarded_for on", "via on"]
    return "\n".join(L) + "\n"


def vnf_argv(v):
    logs = "%s/%s" % (LOG_DIR, v.name)
    if v.kind == "suricata":
        return ["/usr/bin/suricata", "-c", "%s/%s.suricata.yaml" % (VNF_DIR, v.name), "-q", "0", "-S",
                "%s/%s.rules" % (VNF_DIR, v.name), "-l", logs]
    if v.kind == "squid":
        return ["/usr/sbin/squid", "-N", "-n", "azb%s" % v.name, "-f", "%s/%s.squid.conf" % (VNF_DIR, v.name)]
    if v.kind == "vm":
        # The VM runs under libvirt; this unit holds its links (bridges, the box's routes into it)
        # and its lifecycle events are its log.
        return ["/usr/bin/virsh", "-q", "-c", "qemu:///system", "event", "--loop", "--timestamp", "--all"]
    # The vFW's process is its logger: the nft verdicts it logs (NFLOG group 1), one line each.
    return ["/usr/bin/tcpdump", "-n", "-l", "-tttt", "-i", "nflog:1"]


STDOUT_LOG = {"nftables": "fw.log", "vm": "libvirt-events.log"}


def vm_guest(v):
    """What a ``vm`` VNF's guest needs (the lab guest's kernel command line keys, see
    tests/lab/guest/README.md): eth0 on the in bridge, eth1 on the out bridge, forwarding on, a
    default route out, and what arrives by eth1 (replies) routed back by the in side."""
    n = v.net
    return {"vm": v.config["vm"], "nics": [{"bridge": v.host_in}, {"bridge": v.host_out}],
            "addresses": {"in": "%s/%d" % (n["in_vnf"], n["prefix"]), "out": "%s/%d" % (n["out_vnf"], n["prefix"])},
            "cmdline": "azb.ip=%s/%d azb.ip1=%s/%d azb.gw=%s azb.forward azb.return=%s"
                       % (n["in_vnf"], n["prefix"], n["out_vnf"], n["prefix"], n["out_host"], n["in_host"])}


def vm_guests(site):
    """{VNF name: vm_guest} of every ``vm`` VNF."""
    return dict((v.name, vm_guest(v)) for v in site.vnfs if v.kind == "vm")


def vnf_json(site, v):
    d = {"name": v.name, "kind": v.kind, "netns": v.netns, "host_in": v.host_in, "host_out": v.host_out,
         "net": v.net, "inside": _inside(site, v), "sink": site.sink["sink"], "table_in": m.TABLE_BASE + v.route_in,
         "table_out": m.TABLE_BASE + v.route_out, "argv": vnf_argv(v), "log_dir": "%s/%s" % (LOG_DIR, v.name),
         "nft": "%s/%s.nft" % (VNF_DIR, v.name) if vnf_nft(site, v) else None,
         "iptables": "%s/%s.iptables" % (VNF_DIR, v.name) if v.kind == "suricata" else None,
         "stdout": "%s/%s/%s" % (LOG_DIR, v.name, STDOUT_LOG[v.kind]) if v.kind in STDOUT_LOG else None,
         "vm": v.config.get("vm")}
    return json.dumps(d, indent=2, sort_keys=True) + "\n"


def health_config(site):
    inst = []
    for c in site.chains:
        for h in c.hops:
            for v in h.instances:
                d = {"name": v.name, "chain": c.name, "hop": h.name, "source": v.net["probe"]}
                d.update(h.health)
                inst.append(d)
    d = {"table": TABLE, "sink": site.sink, "sink_netns": SINK_NETNS, "sink_host_if": SINK_HOST_IF,
         "probe_netns": PROBE_NETNS, "probe_host_if": PROBE_HOST_IF,
         "chains": chain_data(site), "instances": inst}
    return json.dumps(d, indent=2, sort_keys=True) + "\n"


UNIT_CHAIN_TEXT = """[Unit]
Description=azblink service chains: steering table and policy rules
DefaultDependencies=no
After=nftables.service azb-zones.service
Before=network-online.target azb-chain-health.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f %(nft)s
# Rules already there (a restart) are fine: -force goes on past "File exists".
ExecStart=-/sbin/ip -force -batch %(batch)s

[Install]
WantedBy=multi-user.target
""" % {"nft": NFT_FILE, "batch": BATCH_FILE}

UNIT_HEALTH_TEXT = """[Unit]
Description=azblink service chains: hop health checks and steering maps
After=azb-chain.service
Wants=azb-chain.service

[Service]
ExecStart=/usr/bin/python3 %(lib)s/azb-chain-health.py %(conf)s
Restart=always
RestartSec=1
Nice=-15

[Install]
WantedBy=multi-user.target
""" % {"lib": LIB_DIR, "conf": HEALTH_FILE}

UNIT_VNF_TEXT = """[Unit]
Description=azblink VNF %%i (network namespace azbv-%%i, or a VM's bridges)
After=azb-chain.service
# A VM VNF's bridges exist before libvirtd autostarts the guest whose NICs join them.
Before=libvirtd.service

[Service]
ExecStartPre=/usr/bin/python3 %(lib)s/azb-vnf.py net-up %%i
ExecStart=/usr/bin/python3 %(lib)s/azb-vnf.py run %%i
ExecStopPost=/usr/bin/python3 %(lib)s/azb-vnf.py net-down %%i
Restart=always
RestartSec=5
KillMode=mixed
TimeoutStopSec=10

[Install]
WantedBy=multi-user.target
""" % {"lib": LIB_DIR}


def files(site):
    """{path: content} of every file the module owns."""
    out = {NFT_FILE: nft_file(site), BATCH_FILE: batch(site), HEALTH_FILE: health_config(site),
           "%s/%s" % (UNIT_DIR, UNIT_CHAIN): UNIT_CHAIN_TEXT, "%s/%s" % (UNIT_DIR, UNIT_HEALTH): UNIT_HEALTH_TEXT,
           "%s/%s" % (UNIT_DIR, UNIT_VNF): UNIT_VNF_TEXT}
    for v in site.vnfs:
        out["%s/%s.json" % (VNF_DIR, v.name)] = vnf_json(site, v)
        text = vnf_nft(site, v)
        if text:
            out["%s/%s.nft" % (VNF_DIR, v.name)] = text
        if v.kind == "suricata":
            out["%s/%s.iptables" % (VNF_DIR, v.name)] = vnf_iptables(v)
            out["%s/%s.rules" % (VNF_DIR, v.name)] = suricata_rules(v)
            out["%s/%s.suricata.yaml" % (VNF_DIR, v.name)] = suricata_yaml(v)
        if v.kind == "squid":
            out["%s/%s.squid.conf" % (VNF_DIR, v.name)] = squid_conf(site, v)
    return out


def vnf_inputs(site, v):
    """The files a VNF's unit reads: a change to one restarts it."""
    return [p for p in files(site) if p.startswith("%s/%s." % (VNF_DIR, v.name))]
