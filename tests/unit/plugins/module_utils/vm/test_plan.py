"""What must change: decisions from the desired spec and a live-state snapshot (no libvirt)."""
import os

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, plan, tc

FIX = os.path.join(os.path.dirname(__file__), "fixtures")
LAB_CMDLINE = ("console=ttyS0,115200 quiet mitigations=off panic=5 azb.ip=10.3.0.20/24 azb.gw=10.3.0.1 "
               "azb.hostname=t1")


# What the lab's libvirt offers (no /dev/kvm in the appliances): the fixtures are its domains.
LAB_DOMAIN_TYPES = ("qemu",)


def spec(**kw):
    p = dict(name="t1", memory=160, boot={"kernel": "/var/lib/azblink/lab-guest/vmlinuz",
                                          "initrd": "/var/lib/azblink/lab-guest/initrd.img",
                                          "cmdline": LAB_CMDLINE},
             disks=[{"size": "16M"}], nics=[{"bridge": "br3", "rate_limit": {"inbound_kbit": 8000}}],
             vcpu_pins=["1"], autostart=True, watchdog={"action": "reset"})
    p.update(kw)
    return model.accelerate(model.validate(p), LAB_DOMAIN_TYPES)


def live(**kw):
    with open(os.path.join(FIX, "t1-inactive.xml")) as f:
        xml = f.read()
    tap = model.tap_name("t1", 0)
    v = {"xml": xml, "active": True, "autostart": True, "volumes": {("azb", "t1-disk0.qcow2"): 16 * 2 ** 20},
         "tc": {tap: {"inbound_kbit": 8000}}, "snapshots": []}
    v.update(kw)
    return v


def kinds(actions):
    return [a["action"] for a in actions]


def test_converged_domain_needs_nothing():
    actions, diff, _xml = plan.plan_present(spec(), live(), "tc")
    assert actions == []
    assert diff["before"] == diff["after"]


def test_new_domain_creates_volume_defines_autostarts_starts_and_shapes():
    empty = {"xml": None, "active": False, "autostart": False, "volumes": {("azb", "t1-disk0.qcow2"): None},
             "tc": {}, "snapshots": []}
    actions, diff, xml = plan.plan_present(spec(), empty, "tc")
    assert kinds(actions) == ["create_volume", "define", "autostart", "start", "tc"]
    assert diff["before"] == "" and "<name>t1</name>" in diff["after"]
    assert model.derive_uuid("t1") in xml


def test_existing_uuid_is_kept():
    _a, _d, xml = plan.plan_present(spec(memory=256), live(), "tc")
    from ansible_collections.azblink.nfv.plugins.module_utils.vm import normalise
    assert normalise.domain_uuid(xml) == normalise.domain_uuid(live()["xml"])


def test_config_change_on_running_vm_defines_and_waits_unless_restart_asked():
    actions, _d, _x = plan.plan_present(spec(memory=256), live(), "tc")
    assert kinds(actions) == ["define"]
    actions, _d, _x = plan.plan_present(spec(memory=256, restart_on_change=True), live(), "tc")
    assert kinds(actions) == ["define", "restart", "tc"]


def test_stop_and_autostart_off():
    actions, _d, _x = plan.plan_present(spec(state="stopped", autostart=False), live(), "tc")
    assert kinds(actions) == ["autostart", "stop"]


def test_tc_drift_is_repaired_and_libvirt_backend_skips_tc():
    tap = model.tap_name("t1", 0)
    actions, _d, _x = plan.plan_present(spec(), live(tc={tap: {"inbound_kbit": 4000}}), "tc")
    assert actions == [{"action": "tc", "tap": tap, "limits": {"inbound_kbit": 8000}}]
    actions, _d, _x = plan.plan_present(spec(), live(tc={tap: {}}), "libvirt")
    assert "tc" not in kinds(actions) and "define" in kinds(actions)  # <bandwidth> enters the XML


def test_disk_shrink_is_refused_and_growth_resizes():
    with pytest.raises(model.SpecError) as exc:
        plan.plan_present(spec(disks=[{"size": "8M"}]), live(), "tc")
    assert "disks[0].size: shrinking t1-disk0.qcow2 from 16777216 to 8388608 bytes is refused" in str(exc.value)
    actions, _d, _x = plan.plan_present(spec(disks=[{"size": "32M"}]), live(), "tc")
    assert actions[0] == {"action": "resize_volume", "disk": 0, "pool": "azb", "volume": "t1-disk0.qcow2",
                          "capacity": 32 * 2 ** 20}


def test_missing_existing_volume_is_refused():
    with pytest.raises(model.SpecError) as exc:
        plan.plan_present(spec(disks=[{"volume": "gold.qcow2"}]), live(volumes={("azb", "gold.qcow2"): None}), "tc")
    assert "disks[0].volume: volume gold.qcow2 does not exist in pool azb" in str(exc.value)


def test_absent_keeps_disks_unless_purge():
    lv = live(volume_refs=[("azb", "t1-disk0.qcow2")])
    actions, diff = plan.plan_absent(spec(state="absent"), lv)
    assert kinds(actions) == ["destroy", "undefine"] and diff["after"] == ""
    actions, _d = plan.plan_absent(spec(state="absent", purge=True), lv)
    assert actions[-1] == {"action": "delete_volume", "pool": "azb", "volume": "t1-disk0.qcow2"}
    assert plan.plan_absent(spec(state="absent"), {"xml": None}) == ([], {"before": "", "after": ""})


SNAPS = [{"name": "s1", "created": 1, "state": "running"}, {"name": "s2", "created": 2, "state": "running"},
         {"name": "s3", "created": 3, "state": "running"}]


def snap(**kw):
    d = {"action": "create", "name": "s4", "keep": None, "description": ""}
    d.update(kw)
    return d


def test_snapshot_create_is_idempotent_by_name_and_keep_prunes_oldest():
    assert plan.plan_snapshot(snap(name="s2"), {"snapshots": SNAPS}) == []
    acts = plan.plan_snapshot(snap(keep=2), {"snapshots": SNAPS})
    want = [("snapshot_create", "s4"), ("snapshot_delete", "s1"), ("snapshot_delete", "s2")]
    assert [(a["action"], a["name"]) for a in acts] == want


def test_snapshot_revert_and_delete():
    assert plan.plan_snapshot(snap(action="revert", name="s2"), {"snapshots": SNAPS})[0]["action"] == "snapshot_revert"
    with pytest.raises(model.SpecError) as exc:
        plan.plan_snapshot(snap(action="revert", name="nope"), {"snapshots": SNAPS})
    assert "snapshot.name: no snapshot 'nope' (have: s1, s2, s3)" in str(exc.value)
    assert plan.plan_snapshot(snap(action="delete", name="nope"), {"snapshots": SNAPS}) == []


def test_tc_commands_and_live_parsing():
    tap = "az12345678n0"
    cmds = tc.apply_commands(tap, {"inbound_kbit": 8000, "outbound_kbit": 2000})
    flat = [" ".join(c) for c in cmds]
    assert "tc qdisc replace dev az12345678n0 root handle 1: htb default 10" in flat
    assert "tc class replace dev az12345678n0 parent 1: classid 1:10 htb rate 8000kbit ceil 8000kbit burst 20k cburst 20k" in flat
    assert any("mirred egress redirect dev ai12345678n0" in c for c in flat)
    # every root qdisc is deleted before it is replaced: re-applying over the hook's work must not fail
    assert flat.index("-tc qdisc del dev ai12345678n0 root") < flat.index(
        "tc qdisc replace dev ai12345678n0 root handle 1: htb default 10")
    assert "-ip link del ai12345678n0" in " | ".join(" ".join(c) for c in tc.apply_commands(tap, {"inbound_kbit": 100}))
    klass = "class htb 1:10 root prio 0 rate 8Mbit ceil 8Mbit burst 20Kb cburst 20Kb \n"
    filt = "\taction order 1: mirred (Egress Redirect to device ai12345678n0) stolen\n"
    assert tc.live_limits(klass, "class htb 1:10 root prio 0 rate 2Mbit ceil 2Mbit", filt, "ai12345678n0") == \
        {"inbound_kbit": 8000, "outbound_kbit": 2000}
    assert tc.live_limits("", "", "", "ai12345678n0") == {}
    assert tc.parse_rate_kbit("1500Kbit") == 1500


def test_overlay_takes_the_base_size_and_refuses_smaller():
    base = "/var/lib/azblink/base/lab-base.qcow2"
    lv = live(volumes={("azb", "t1-disk0.qcow2"): None}, base_sizes={base: 16 * 2 ** 20})
    actions, _d, _x = plan.plan_present(spec(disks=[{"base": base}]), lv, "tc")
    assert actions[0]["action"] == "create_volume"
    assert "<capacity unit=\"bytes\">16777216</capacity>" in actions[0]["xml"]
    assert "<path>%s</path>" % base in actions[0]["xml"]
    with pytest.raises(model.SpecError) as exc:
        plan.plan_present(spec(disks=[{"base": base, "size": "8M"}]), lv, "tc")
    assert "disks[0].size: 8388608 bytes is smaller than the base image (16777216)" in str(exc.value)
    with pytest.raises(model.SpecError) as exc:
        plan.plan_present(spec(disks=[{"base": base}]), live(base_sizes={base: None}), "tc")
    assert "disks[0].base: base image %s is not readable" % base in str(exc.value)
