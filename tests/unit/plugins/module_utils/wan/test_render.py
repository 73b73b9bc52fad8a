"""Pure renderers of azb_wan_policy, the health service's decisions, the plan against a fake box."""
import importlib.util
import json
import os

from tests.unit import nft_scratch

from ansible_collections.azblink.nfv.plugins.module_utils.wan import adapter, model, plan, render

from .conftest import mutate

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "..", "..", "..", "roles", "wan", "files", "azb-wan-health.py")


def _health_module():
    spec = importlib.util.spec_from_file_location("azb_wan_health", os.path.abspath(SCRIPT))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


HEALTH = _health_module()


def test_nft_table_loads_in_a_scratch_netns(good):
    listing = nft_scratch.load(render.render_nft(model.build(good)))
    assert "ip saddr 10.3.0.60 meta mark set 0x00000100 goto route_class" in listing
    assert 'iifname "br3" ip daddr 203.0.113.0/24 tcp dport { 8080, 9000-9100 }' in listing
    assert "0x00000300 : 0x00000080" in listing  # compliance -> the tunnel's fail-closed mark


def test_nft_table_marks_flows_once_and_pins_inbound(good):
    text = render.render_nft(model.build(good))
    pre = text.split("chain prerouting {")[1].split("\n\t}")[0]
    lines = [l.strip() for l in pre.splitlines() if l.strip()]
    assert lines[1] == "ct mark and 0xff != 0 meta mark set ct mark return"  # established: kept
    assert lines[2].startswith("iifname @wan_if meta mark set iifname map @if_mark ct mark set")
    assert lines[-1] == "meta mark set numgen random mod 100 map @pick ct mark set meta mark"
    assert "meta mark and 0xc0 == 0x80 oifname @wan_if drop" in text  # fail-closed never leaves by a WAN
    assert 'oifname "wan2" ip saddr { 192.0.2.26 } masquerade' in text


def test_failover_buckets_all_to_the_best_wan(good):
    site = model.build(good)
    assert render.buckets("failover", site.wans) == [(0, 99, 1)]
    assert render.buckets("failover", site.wans[1:]) == [(0, 99, 2)]


def test_balance_buckets_follow_weights_and_cover_every_bucket(good):
    site = model.build(good)
    assert render.buckets("balance", site.wans) == [(0, 74, 1), (75, 99, 2)]
    site.wans[1].weight = 0
    assert render.buckets("balance", site.wans) == [(0, 99, 1)]
    assert render.buckets("balance", site.wans[1:]) == [(0, 99, 2)]  # a backup when alone
    for weights in ([1, 1, 1], [7, 3, 5], [1, 0, 2]):
        wans = [model.Wan(i, "w%d" % i, "e%d" % i, [], None, False, wt, i, 101 + i, [], [], {})
                for i, wt in enumerate(weights)]
        b = render.buckets("balance", wans)
        assert b[0][0] == 0 and b[-1][1] == 99
        assert all(b[k][1] + 1 == b[k + 1][0] for k in range(len(b) - 1))


def test_class_routes_fallback_and_fail_closed(good):
    site = model.build(good)
    up = render.class_routes(site, {"wan1", "wan2"})
    assert up == {0x100: 2, 0x200: 2, 0x300: 0x80}
    down = render.class_routes(site, {"wan1"})
    assert down == {0x100: 1, 0x200: model.BLACKHOLE_MARK, 0x300: 0x80}


def test_health_service_decides_like_the_renderer(good):
    site = model.build(good)
    cfg = render.health_config(site)
    for mode in ("failover", "balance"):
        for names in ({"wan1", "wan2"}, {"wan1"}, {"wan2"}):
            healthy = [w for w in site.wans if w.name in names]
            cw = [w for w in cfg["wans"] if w["name"] in names]
            assert HEALTH.buckets(mode, cw) == render.buckets(mode, healthy)
    for names in ({"wan1", "wan2"}, {"wan1"}, {"wan2"}, set()):
        assert HEALTH.class_routes(cfg, names) == render.class_routes(site, names)
    txn = HEALTH.maps_transaction(cfg, {"wan2"})
    assert "flush map inet azblink_wan pick\nadd element inet azblink_wan pick { 0-99 : 0x2 }" in txn
    assert "0x200 : 0x2" in txn


HEALTH_DEFAULTS = dict(model.HEALTH_DEFAULTS)


def _simulate(lost, seconds, nprobes=3, health=None, rtt=0.001, start_up=True):
    """The health service's schedule on virtual time: probes go out when the detector says, round-robin
    over ``nprobes``; a probe sent at t is answered after ``rtt`` unless ``lost(t, k)`` (k: the probe's
    index), then it times out after its adaptive wait. -> (transitions [(time, "down"|"up")], send times)."""
    h = dict(HEALTH_DEFAULTS, **(health or {}))
    det = HEALTH.Detector(h, nprobes, up=start_up)
    rtts = [HEALTH.RttEstimate(h["timeout_ms"] / 1000.0) for _k in range(nprobes)]
    pending, sends, out = [], [], []   # pending: (when the result is known, index, sent, answered)
    t, rr, next_at, last_sent = 0.0, 0, 0.0, None
    while t < seconds:
        if t >= next_at - 1e-9:
            k, rr = rr, (rr + 1) % nprobes
            ok = not lost(t, k)
            pending.append((t + (rtt if ok else rtts[k].wait()), k, t, ok))
            sends.append(t)
            last_sent = t
            next_at = det.next_send(t)
        pending.sort()
        while pending and pending[0][0] <= t + 1e-9:
            when, k, sent, ok = pending.pop(0)
            if ok:
                rtts[k].sample(when - sent)
            change = det.record(k, sent, ok, when)
            next_at = det.next_send(last_sent)
            if change:
                out.append((round(when, 3), change))
        t = round(t + 0.001, 6)
    return out, sends


def _blackhole_from(t0):
    return lambda t, _k: t >= t0


def test_blackhole_goes_down_within_the_window_plus_one_interval_and_a_wait():
    h = HEALTH_DEFAULTS
    worst = (h["interval_ms"] + h["down_window_ms"] + h["confirm_ms"]) / 1000.0 + RTT_FLOOR + 0.01
    for t0 in (5.0, 5.05, 5.1, 5.17, 5.199):
        trans, _sends = _simulate(_blackhole_from(t0), 8.0)
        assert trans and trans[0][1] == "down", t0
        assert 0.4 <= trans[0][0] - t0 <= worst, (t0, trans)


RTT_FLOOR = HEALTH.RttEstimate.FLOOR


def test_no_more_than_ten_probes_a_second_per_wan():
    for lost in (lambda t, _k: False, _blackhole_from(3.0), lambda t, _k: (t % 1.2) < 0.3,
                 lambda t, k: k == 0):
        _trans, sends = _simulate(lost, 20.0)
        for s0 in sends:
            assert len([s for s in sends if s0 <= s < s0 + 0.999]) <= 10  # (float grid)


def test_a_healthy_wan_is_probed_at_the_interval_in_round_robin():
    _trans, sends = _simulate(lambda t, _k: False, 10.0)
    assert 49 <= len(sends) <= 51  # 5 probes/s


def test_bursts_shorter_than_the_window_never_take_it_down():
    """The bench's and the wan scenario's loss pattern (0.3 s of every 1.2 s dropped, both ways) and
    bursts up to 0.38 s (a loaded box is slow to lift the fault), at every phase, for 10 minutes."""
    for burst in (0.3, 0.35, 0.38):
        for phase in (0.0, 0.05, 0.1, 0.15):
            trans, _sends = _simulate(lambda t, _k, b=burst, p=phase: ((t + p) % 1.2) < b, 600.0)
            assert trans == [], (burst, phase, trans)
    # A burst past the window is an outage: down.
    trans, _sends = _simulate(lambda t, _k: 5.0 <= t < 6.0, 8.0)
    assert [c for _t, c in trans] == ["down"]


def test_one_dead_target_does_not_count_with_quorum_one_two_do_with_quorum_two():
    assert _simulate(lambda t, k: k == 1, 60.0)[0] == []
    assert _simulate(lambda t, k: k in (1, 2), 60.0)[0] == []                      # quorum 1: one answers
    trans, _sends = _simulate(lambda t, k: t >= 5.0 and k in (1, 2), 20.0, health={"quorum": 2})
    assert [c for _t, c in trans] == ["down"] and trans[0][0] < 7.0
    assert _simulate(lambda t, k: k == 1, 60.0, health={"quorum": 2})[0] == []      # two of three answer


def test_back_up_only_after_up_answers_and_the_hold_down():
    h = {"hold_down_s": 3}
    trans, _sends = _simulate(lambda t, _k: 1.0 <= t < 2.0, 10.0, health=h)
    assert [c for _t, c in trans] == ["down", "up"]
    assert trans[1][0] - 2.0 >= 3.0 and trans[1][0] - 2.0 < 3.5
    # A loss burst in the hold-down restarts it, whatever its phase.
    for start in (3.5, 3.55, 3.6, 3.65, 3.7):
        trans, _sends = _simulate(lambda t, _k, s0=start: 1.0 <= t < 2.0 or s0 <= t < s0 + 0.3, 10.0, health=h)
        assert trans[1][0] >= start + 0.3 + 3.0, (start, trans)
    # One dead target's lone misses do not: the WAN comes back on time.
    trans, _sends = _simulate(lambda t, k: 1.0 <= t < 2.0 or k == 2, 10.0, health=h)
    assert [c for _t, c in trans] == ["down", "up"] and trans[1][0] - 2.0 < 3.5


def test_carrier_loss_is_down_at_once_and_stale_failures_are_ignored():
    h = dict(HEALTH_DEFAULTS)
    det = HEALTH.Detector(h, 3)
    assert det.link_down(1.0) == "down" and det.verdict == (0, 1.0, 1.0)
    det = HEALTH.Detector(h, 3)
    assert det.record(1, 1.2, True, 1.201) is None
    # the probe sent at 1.0 timed out after the one sent at 1.2 answered: stale, no run opens
    assert det.record(0, 1.0, False, 1.3) is None and not det.suspect()
    assert det.record(2, 1.4, False, 1.45) is None and det.suspect() and det.pace() == 0.1


def test_every_wan_missing_at_once_takes_three_windows():
    """A stall of the box makes every WAN miss at once: 0.8 s of it takes none down; 2 s does."""
    def both(stall):
        dets = [HEALTH.Detector(dict(HEALTH_DEFAULTS), 3) for _w in (0, 1)]
        out = []
        for step in range(60):  # probes every 100 ms on both WANs, out of step by 50 ms
            for w, det in enumerate(dets):
                sent = 1.0 + step * 0.1 + w * 0.05
                ok = not 1.0 <= sent < 1.0 + stall
                change = det.record(step % 3, sent, ok, sent + (0.001 if ok else 0.1),
                                    others_failing=dets[1 - w].suspect() or not dets[1 - w].up)
                if change:
                    out.append((w, change))
        return out
    assert both(0.8) == []
    assert sorted(both(2.0)) == [(0, "down"), (1, "down")]
    # One WAN alone failing: the normal window (0.4 s).
    det = HEALTH.Detector(dict(HEALTH_DEFAULTS), 3)
    changes = [det.record(k % 3, 1.0 + k * 0.1, False, 1.1 + k * 0.1) for k in range(6)]
    assert changes.index("down") == 4


def test_wait_adapts_to_the_round_trip_within_floor_and_timeout():
    r = HEALTH.RttEstimate(0.3)
    assert r.wait() == 0.3
    for _i in range(20):
        r.sample(0.001)
    assert r.wait() == RTT_FLOOR
    for _i in range(50):
        r.sample(0.2)
    assert 0.22 <= r.wait() < 0.23        # srtt + 20 ms once steady
    for _i in range(50):
        r.sample(0.4)
    assert r.wait() == 0.3


def test_rules_routes_and_boot_batch(good):
    site = model.build(good)
    assert render.rules(site) == [
        "1000 lookup main suppress_prefixlength 0",
        "1001 fwmark 0x1/0xff lookup 101",
        "1002 fwmark 0x2/0xff lookup 102",
        "1100 fwmark 0x40/0xff lookup 150",
        "1170 fwmark 0x80/0xff lookup 150",
        "1240 fwmark 0x80/0xff blackhole",
        "1299 fwmark 0xfe/0xff blackhole",
    ]
    assert render.routes(site) == {
        101: ["192.0.2.24/29 dev wan1 scope link src 192.0.2.26", "default via 192.0.2.25 dev wan1 onlink"],
        102: ["198.51.100.24/29 dev wan2 scope link src 198.51.100.26", "default via 198.51.100.25 dev wan2 onlink"],
    }
    batch = render.render_batch(site)
    assert "rule del pref 1240\nrule add pref 1240 fwmark 0x80/0xff blackhole\n" in batch
    assert "route replace default via 192.0.2.25 dev wan1 onlink table 101\n" in batch


def test_split_dns_config(good):
    site = model.build(good)
    conf = render.dns_instances(site)
    assert list(conf) == ["office"]
    c = conf["office"].splitlines()
    assert "listen-address=10.3.0.1" in c and "bind-dynamic" in c
    assert "server=/corp.test/203.0.113.60" in c and "server=/partner.test/203.0.113.60" in c
    assert "server=203.0.113.53" in c
    assert "stop-dns-rebind" in c and "rebind-domain-ok=/corp.test/" in c
    assert "rebind-domain-ok=/partner.test/" not in c  # rebind_ok: false keeps the protection
    good["rebind_protection"] = False
    assert "stop-dns-rebind" not in render.dns_instances(model.build(good))["office"]


def test_health_config_is_json_with_probes(good):
    cfg = json.loads(render.render_health(model.build(good)))
    assert [p["type"] for p in cfg["wans"][0]["probes"]] == ["icmp", "icmp", "http", "dns", "tcp"]
    assert cfg["classes"][2] == {"name": "compliance", "mark": 0x300, "via_kind": "tunnel", "via": "corpvpn",
                                 "on_failure": "fail_closed"}


# -- live-state normalisation and the plan, against a fake box -----------------------------------

IP_RULES = [{"priority": 0, "src": "all", "table": "local"},
            {"priority": 220, "src": "all", "table": "220"},
            {"priority": 1000, "src": "all", "table": "main", "suppress_prefixlen": 0},
            {"priority": 1001, "src": "all", "fwmark": "0x1", "fwmask": "0xff", "table": "101"},
            {"priority": 1299, "src": "all", "fwmark": "0xfe", "fwmask": "0xff", "action": "blackhole"},
            {"priority": 32766, "src": "all", "table": "main"}]


def test_rule_and_route_keys_match_the_renderer():
    keys = [adapter.rule_key(r) for r in IP_RULES if 1000 <= r["priority"] <= 1299]
    assert keys == ["1000 lookup main suppress_prefixlength 0", "1001 fwmark 0x1/0xff lookup 101",
                    "1299 fwmark 0xfe/0xff blackhole"]
    assert adapter.route_key({"dst": "default", "gateway": "192.0.2.25", "dev": "wan1",
                              "flags": ["onlink", "linkdown"]}) == "default via 192.0.2.25 dev wan1 onlink"
    assert adapter.route_key({"dst": "192.0.2.24/29", "dev": "wan1", "scope": "link", "prefsrc": "192.0.2.26",
                              "flags": []}) == "192.0.2.24/29 dev wan1 scope link src 192.0.2.26"


def test_strip_dynamic_ignores_what_the_health_service_rewrites():
    a = "table inet azblink_wan {\n\tmap pick {\n\t\ttypeof numgen random mod 100 : meta mark\n" \
        "\t\tflags interval\n\t\telements = { 0-99 : 0x00000001 }\n\t}\n\tset wan_if {\n\t\ttype ifname\n" \
        "\t\telements = { \"wan1\",\n\t\t\t     \"wan2\" }\n\t}\n}\n"
    b = a.replace("0-99 : 0x00000001", "0-74 : 0x00000001,\n\t\t\t     75-99 : 0x00000002")
    assert plan.strip_dynamic(a) == plan.strip_dynamic(b)
    assert '"wan2"' in plan.strip_dynamic(a)  # other sets keep their elements
    assert plan.strip_dynamic(a) != plan.strip_dynamic(a.replace('"wan2"', '"wan3"'))


class FakeBox(object):
    """A box as the adapter sees it: files, rules, routes, the nft listing, units."""

    def __init__(self, site):
        self.files = {}
        self.rules = sorted(render.rules(site))
        self.routes = dict((t, list(r)) for t, r in render.routes(site).items())
        self.nft = render.render_nft(site)
        self.enabled = set()
        self.active = set()
        self.calls = []

    # adapter interface
    def nft_canonical(self, text):
        return text

    def nft_live(self):
        return self.nft

    def nft_apply(self, text):
        self.calls.append("nft")
        self.nft = text

    def routes_of(self, table):
        return self.routes.get(table, [])

    def read(self, path):
        return self.files.get(path)

    def write(self, path, content):
        self.files[path] = content

    def remove(self, path):
        self.files.pop(path, None)

    def listdir(self, path):
        return sorted(p.rsplit("/", 1)[1] for p in self.files if p.startswith(path + "/"))

    def unit_enabled(self, unit):
        return unit in self.enabled

    def unit_active(self, unit):
        return unit in self.active

    def systemctl(self, *args):
        self.calls.append("systemctl " + " ".join(args))
        return 0, "", ""

    def must(self, *args):
        self.systemctl(*args)
        if args[0] == "enable":
            self.enabled |= set(args[1:])
        if args[0] in ("start", "restart"):
            self.active |= set(args[1:])

    def batch(self, lines):
        self.calls.append("batch")
        for line in lines:
            words = line.split()
            if words[:2] == ["rule", "add"]:
                self.rules.append(" ".join(words[3:4] + words[4:]))
            elif words[:2] == ["rule", "del"]:
                key = " ".join(words[3:4] + words[4:])
                self.rules.remove(key)


class FakeAdapter(object):
    def __init__(self, box):
        self.box = box

    def __getattr__(self, name):
        return getattr(self.box, name)

    def rules(self):
        return sorted(self.box.rules)

    def routes(self, table):
        return self.box.routes_of(table)


def test_plan_converges_then_reports_nothing(good):
    site = model.build(good)
    box = FakeBox(site)
    box.rules.remove("1299 fwmark 0xfe/0xff blackhole")
    box.rules.append("1299 fwmark 0xfd/0xff blackhole")
    ad = FakeAdapter(box)
    p = plan.plan(site, ad)
    assert p.changed
    assert p.rules_del == ["1299 fwmark 0xfd/0xff blackhole"] and p.rules_add == ["1299 fwmark 0xfe/0xff blackhole"]
    assert render.NFT_FILE in p.files_write and "/etc/azblink/dns/office.conf" in p.files_write
    assert "start azb-wan-health.service" in p.actions()
    plan.execute(p, ad)
    again = plan.plan(site, ad)
    assert not again.changed, again.actions()


def test_plan_restarts_the_health_service_when_its_config_changes(good):
    site = model.build(good)
    box = FakeBox(site)
    ad = FakeAdapter(box)
    plan.execute(plan.plan(site, ad), ad)
    changed = model.build(mutate("wans.0.health.down", 5))
    p = plan.plan(changed, ad)
    assert p.health_restart and list(p.files_write) == [render.HEALTH_FILE]
    assert not p.nft_change and not p.rules_add


def test_health_service_reads_rules_like_the_module():
    for r in IP_RULES:
        assert HEALTH.rule_key(r) == adapter.rule_key(r)


def test_health_config_carries_the_rules_it_restores(good):
    site = model.build(good)
    assert render.health_config(site)["rules"] == render.rules(site)
