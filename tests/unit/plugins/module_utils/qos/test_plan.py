"""azb_qos's plan against a fake box: one code path for check mode and a real run."""
from ansible_collections.azblink.nfv.plugins.module_utils.qos import adapter as qa
from ansible_collections.azblink.nfv.plugins.module_utils.qos import model, plan, render


class FakeBox(object):
    """Files in a dict; tc/nft state as the text a dump prints; records what was run."""

    def __init__(self, files=None, live="", enabled=False):
        self.files = dict(files or {})
        self.live_text, self.enabled, self.calls = live, enabled, []

    def capabilities(self):
        return {}

    def live(self, devs):
        return self.live_text

    def canonical(self, site, files, devs):
        return "canonical of %s\n" % len(files[render.TC_FILE])

    def read(self, path):
        return self.files.get(path)

    def write(self, path, content):
        self.files[path] = content
        self.calls.append(("write", path))

    def remove(self, path):
        self.files.pop(path, None)
        self.calls.append(("remove", path))

    def apply(self):
        self.live_text = self.canonical(None, self.files, None)
        self.calls.append(("apply",))

    def clear_link(self, interface, ifb):
        self.calls.append(("clear", interface, ifb))

    def nft_remove(self):
        self.calls.append(("nft_remove",))

    def unit_enabled(self, unit):
        return self.enabled

    def systemctl(self, *args):
        self.calls.append(("systemctl",) + args)
        return 0, "", ""

    def must(self, *args):
        if args[0] == "enable":
            self.enabled = True
        self.calls.append(("systemctl",) + args)


def test_first_run_writes_applies_enables_then_nothing(good):
    site, box = model.build(good), FakeBox()
    p = plan.plan(site, "fifo", box)
    assert p.changed and p.apply and p.enable and len(p.files_write) == 5
    assert box.calls == []  # planning (check mode) touches nothing
    plan.execute(p, box)
    assert ("apply",) in box.calls and ("systemctl", "enable", render.UNIT) in box.calls
    again = plan.plan(site, "fifo", box)
    assert not again.changed, again.actions()


def test_live_drift_is_reapplied_without_rewriting_files(good):
    site, box = model.build(good), FakeBox()
    plan.execute(plan.plan(site, "fifo", box), box)
    box.live_text = "someone deleted the qdisc\n"
    p = plan.plan(site, "fifo", box)
    assert p.apply and not p.files_write
    d = p.diff()
    assert "someone deleted" in d["before"] and "canonical of" in d["after"]


def test_a_removed_link_is_cleared(good):
    site, box = model.build(good), FakeBox()
    plan.execute(plan.plan(site, "fifo", box), box)
    good["links"] = good["links"][:1]
    p = plan.plan(model.build(good), "fifo", box)
    assert p.stale_links == [("wan2", None)]
    plan.execute(p, box)
    assert ("clear", "wan2", None) in box.calls


def test_absent_removes_everything_it_owns(good):
    site, box = model.build(good), FakeBox()
    plan.execute(plan.plan(site, "fifo", box), box)
    box.live_text = "## nft\ntable inet azblink_qos {\n}\n"
    p = plan.plan_absent(box)
    assert p.remove_table and sorted(p.stale_links) == [("wan1", "azbi-wan1"), ("wan2", None)]
    plan.execute_absent(p, box)
    assert not box.files and ("nft_remove",) in box.calls


def test_dump_noise_is_ignored():
    a = "qdisc htb 1: root refcnt 3 r2q 10 default 0x12 direct_packets_stat 7 direct_qlen 1000\n"
    b = "qdisc htb 1: root refcnt 2 r2q 10 default 0x12 direct_packets_stat 0 direct_qlen 32\n"
    assert qa.normalise(a) == qa.normalise(b)
    assert qa.normalise("\taction order 1: mirred (Egress Redirect to device azbi-wan1) stolen\n\tindex 3 ref 1 bind 1\n") \
        == "\taction order 1: mirred (Egress Redirect to device azbi-wan1) stolen\n"
