"""azb_ha's plan against a fake box: one code path for check mode and a real run."""
from ansible_collections.azblink.nfv.plugins.module_utils.ha import model, plan, render


class FakeBox(object):
    def __init__(self):
        self.files, self.enabled, self.active, self.nft, self.sys, self.calls = {}, set(), set(), "", {}, []

    def read(self, path):
        return self.files.get(path)

    def write(self, path, content):
        self.files[path] = content

    def remove(self, path):
        self.files.pop(path, None)

    def nft_live(self):
        return self.nft

    def nft_canonical(self, text):
        return "canonical %d\n" % len(text)

    def nft_apply(self, text):
        self.nft = self.nft_canonical(text)

    def nft_remove(self):
        self.nft = ""

    def sysctl(self, key):
        return self.sys.get(key, "0")

    def sysctl_set(self, key, value):
        self.sys[key] = value

    def unit_enabled(self, unit):
        return unit in self.enabled

    def unit_active(self, unit):
        return unit in self.active

    def systemctl(self, *args):
        self.calls.append(args)
        if args[0] == "disable":
            for u in args[2:]:
                self.enabled.discard(u)
                self.active.discard(u)
        return 0, "", ""

    def must(self, *args):
        self.calls.append(args)
        if args[0] == "enable":
            self.enabled.update(args[1:])
        if args[0] in ("start", "restart"):
            self.active.update(args[1:])


def test_converge_then_nothing_then_a_reload_not_a_restart(good):
    box = FakeBox()
    p = plan.plan(model.build(good), box)
    assert p.changed and box.calls == []
    plan.execute(p, box)
    assert box.calls.index(("start", "conntrackd.service")) < box.calls.index(("start", "keepalived.service"))
    assert box.sys["net.netfilter.nf_conntrack_tcp_be_liberal"] == "1"
    assert not plan.plan(model.build(good), box).changed
    good["advert_ms"] = 500
    p = plan.plan(model.build(good), box)
    assert p.reload == ["keepalived.service"] and not p.restart
    assert list(p.files_write) == [render.KEEPALIVED_CONF]


def test_absent_stops_and_removes(good):
    box = FakeBox()
    plan.execute(plan.plan(model.build(good), box), box)
    p = plan.plan_absent(box, good.get("watchdog_units") or ["keepalived.service", "conntrackd.service"])
    plan.execute_absent(p, box)
    assert not box.enabled and not box.active and not box.files and box.nft == ""
