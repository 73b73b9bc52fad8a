"""Prometheus textfile collector of azblink.nfv: zone traffic, nft counters per policy and zone pair,
WAN state and health, tunnels, VMs, chain hops.

Run by azb-metrics.timer; writes DIR/azb.prom atomically (node exporter's textfile collector reads
it). Each family reads the live system; a source that is absent (no WAN service, no libvirt) is
left out rather than guessed. Usage: azb-metrics.py CONFIG.json
"""
import hashlib
import json
import os
import subprocess
import sys
import time


def run(argv):
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def esc(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class Families(object):
    """Samples grouped by metric name (the text format wants each family's samples together)."""

    def __init__(self):
        self.types, self.samples = {}, {}

    def append(self, line):
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            self.types[name] = kind

    def add(self, name, labels, value):
        lab = ",".join('%s="%s"' % (k, esc(v)) for k, v in sorted(labels.items()))
        self.samples.setdefault(name, []).append("%s{%s} %s" % (name, lab, value) if lab else "%s %s" % (name, value))

    def text(self):
        lines = []
        for name in sorted(self.samples):
            lines.append("# TYPE %s %s" % (name, self.types.get(name, "counter" if name.endswith("_total") else "gauge")))
            lines.extend(self.samples[name])
        return "\n".join(lines) + "\n"


def metric(out, name, labels, value):
    out.add(name, labels, value)


def zones(cfg, out):
    out.append("# TYPE azb_zone_bytes_total counter")
    out.append("# TYPE azb_zone_packets_total counter")
    out.append("# TYPE azb_zone_up gauge")
    for z in cfg.get("zones", []):
        for ifname in z["interfaces"]:
            base = "/sys/class/net/%s" % ifname
            if not os.path.isdir(base):
                metric(out, "azb_zone_up", {"zone": z["name"], "interface": ifname}, 0)
                continue
            with open(base + "/operstate") as fh:
                state = fh.read().strip()
            metric(out, "azb_zone_up", {"zone": z["name"], "interface": ifname}, 1 if state in ("up", "unknown") else 0)
            for direction in ("rx", "tx"):
                for unit, name in (("bytes", "azb_zone_bytes_total"), ("packets", "azb_zone_packets_total")):
                    with open("%s/statistics/%s_%s" % (base, direction, unit)) as fh:
                        metric(out, name, {"zone": z["name"], "interface": ifname, "direction": direction},
                               fh.read().strip())


def _elements(nft_set):
    """(key parts, counter, comment) of each element of a set or map in nft's JSON."""
    for entry in nft_set.get("elem", []):
        if isinstance(entry, list):      # a map: [key, value]
            entry = entry[0]
        elem = entry.get("elem", {}) if isinstance(entry, dict) else {}
        val = elem.get("val")
        parts = val.get("concat") if isinstance(val, dict) and "concat" in val else [val]
        if isinstance(elem.get("counter"), dict):
            yield parts, elem["counter"], elem.get("comment", "")


def ruleset(cfg, out):
    """The live ruleset's hash (stateless, as audit records carry it) and the zones' nft counters:
    per policy (its own rules, by their comment, and its elements of the ACL sets, by theirs) and
    per zone pair the default matrix lets through."""
    text = run(["nft", "-s", "-n", "list", "ruleset"])   # the listing audit.RULESET_LISTING hashes
    if text is None:
        return
    out.append("# TYPE azb_ruleset_info gauge")
    metric(out, "azb_ruleset_info", {"sha256": hashlib.sha256(text.encode()).hexdigest()}, 1)
    data = run(["nft", "-j", "list", "table", "inet", "azblink"])
    policies, pairs = {}, {}

    def add(table, key, counter):
        p, b = table.get(key, (0, 0))
        table[key] = (p + counter.get("packets", 0), b + counter.get("bytes", 0))

    for item in json.loads(data).get("nftables", []) if data else []:
        rule, nft_set = item.get("rule"), item.get("set") or item.get("map")
        if rule and str(rule.get("comment", "")).startswith("policy "):
            for expr in rule.get("expr", []):
                if isinstance(expr.get("counter"), dict):
                    add(policies, rule["comment"][7:], expr["counter"])
        elif nft_set and nft_set.get("name", "").startswith("acl"):
            for _parts, counter, comment in _elements(nft_set):
                for name in comment.split():
                    add(policies, name, counter)
        elif nft_set and nft_set.get("name") == "zone_matrix":
            zone_of = dict((i, z["name"]) for z in cfg.get("zones", []) for i in z["interfaces"])
            for parts, counter, _comment in _elements(nft_set):
                if len(parts) == 2:
                    add(pairs, (zone_of.get(parts[0], parts[0]), zone_of.get(parts[1], parts[1])), counter)
    out.append("# TYPE azb_policy_packets_total counter")
    out.append("# TYPE azb_policy_bytes_total counter")
    for policy, (packets, nbytes) in sorted(policies.items()):
        metric(out, "azb_policy_packets_total", {"policy": policy}, packets)
        metric(out, "azb_policy_bytes_total", {"policy": policy}, nbytes)
    out.append("# TYPE azb_zone_pair_packets_total counter")
    out.append("# TYPE azb_zone_pair_bytes_total counter")
    for (src, dst), (packets, nbytes) in sorted(pairs.items()):
        metric(out, "azb_zone_pair_packets_total", {"from": src, "to": dst}, packets)
        metric(out, "azb_zone_pair_bytes_total", {"from": src, "to": dst}, nbytes)


def load_json(path):
    """A service's JSON state file, or None when it is absent or half-written."""
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def wans(cfg, out):
    state = load_json(cfg.get("wan_state", "/run/azblink/wan-state.json"))
    if state is None:
        return
    out.append("# TYPE azb_wan_up gauge")
    out.append("# TYPE azb_wan_active gauge")
    for name, w in sorted(state.get("wans", {}).items()):
        metric(out, "azb_wan_up", {"wan": name}, 1 if w.get("up") else 0)
        metric(out, "azb_wan_active", {"wan": name}, 1 if state.get("active") == name else 0)
    out.append("# TYPE azb_wan_probe_failures gauge")
    out.append("# TYPE azb_wan_probe_successes gauge")
    for name, w in sorted(state.get("wans", {}).items()):
        # consecutive unanswered / answered probes: the health the up/down decision is made of
        metric(out, "azb_wan_probe_failures", {"wan": name}, w.get("fails", 0))
        metric(out, "azb_wan_probe_successes", {"wan": name}, w.get("oks", 0))
    out.append("# TYPE azb_wan_transitions_recorded gauge")
    metric(out, "azb_wan_transitions_recorded", {}, len(state.get("transitions", [])))
    out.append("# TYPE azb_wan_state_age_seconds gauge")
    metric(out, "azb_wan_state_age_seconds", {}, round(time.time() - state.get("updated", 0), 1))


def tunnels(out):
    data = run(["ip", "-j", "-d", "link", "show"])
    links = json.loads(data) if data else []
    shown = False
    for link in links:
        kind = link.get("linkinfo", {}).get("info_kind")
        if kind not in ("wireguard", "tun"):
            continue
        if not shown:
            out.append("# TYPE azb_tunnel_up gauge")
            shown = True
        up = "UP" in link.get("flags", []) and link.get("operstate") in ("UP", "UNKNOWN")
        metric(out, "azb_tunnel_up", {"interface": link["ifname"], "kind": kind}, 1 if up else 0)
    hs = run(["wg", "show", "all", "latest-handshakes"])
    if hs:
        out.append("# TYPE azb_tunnel_peer_handshake_age_seconds gauge")
        for line in hs.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] != "0":
                metric(out, "azb_tunnel_peer_handshake_age_seconds", {"interface": parts[0], "peer": parts[1][:8]},
                       int(time.time()) - int(parts[2]))


def vms(out):
    if not os.path.exists("/run/libvirt/libvirt-sock"):
        return
    text = run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"])
    if text is None:
        return
    out.append("# TYPE azb_vm_running gauge")
    running = set((run(["virsh", "-c", "qemu:///system", "list", "--name"]) or "").split())
    for name in text.split():
        metric(out, "azb_vm_running", {"vm": name}, 1 if name in running else 0)


def chains(cfg, out):
    """Each chain hop instance up or not, as the chain health service last decided."""
    state = load_json(cfg.get("chain_state", "/run/azblink/chain-state.json"))
    if state is None:
        return
    health = load_json(cfg.get("chain_health", "/etc/azblink/chain/health.json")) or {}
    where = dict((i["name"], i) for i in health.get("instances", []))
    out.append("# TYPE azb_chain_instance_up gauge")
    out.append("# TYPE azb_chain_instance_state_seconds gauge")
    for name, st in sorted(state.get("instances", {}).items()):
        labels = {"instance": name, "chain": where.get(name, {}).get("chain", ""),
                  "hop": where.get(name, {}).get("hop", "")}
        metric(out, "azb_chain_instance_up", labels, 1 if st.get("up") else 0)
        metric(out, "azb_chain_instance_state_seconds", labels, round(time.time() - st.get("since", time.time()), 1))


def main():
    with open(sys.argv[1]) as fh:
        cfg = json.load(fh)
    out = Families()
    for family in (lambda o: zones(cfg, o), lambda o: ruleset(cfg, o), lambda o: wans(cfg, o), tunnels, vms,
                   lambda o: chains(cfg, o)):
        family(out)
    out.append("# TYPE azb_metrics_generated_seconds gauge")
    metric(out, "azb_metrics_generated_seconds", {}, round(time.time(), 1))
    path = os.path.join(cfg["textfile_dir"], "azb.prom")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(out.text())
    os.rename(tmp, path)


if __name__ == "__main__":
    main()
