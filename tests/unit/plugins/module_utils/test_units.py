"""azb_files' units: states read as systemd_service reads them, one `systemctl show` for all, and
only the steps that differ (a converged box gets none)."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import units


def st(active="active", filestate="enabled", load="loaded"):
    return {"LoadState": load, "ActiveState": active, "UnitFileState": filestate}


def test_a_converged_unit_needs_nothing():
    wanted = [{"name": "ulogd2.service", "enabled": True, "state": "started"},
              {"name": "azb-firewall.service", "enabled": True, "state": None}]
    states = {"ulogd2.service": st(), "azb-firewall.service": st(active="inactive")}
    assert units.plan(wanted, states) == []


@pytest.mark.parametrize("state,want,actions", [
    (st(active="inactive", filestate="disabled"), {"enabled": True, "state": "started"}, ["enable", "start"]),
    (st(active="failed"), {"enabled": True, "state": "started"}, ["start"]),
    (st(active="activating"), {"state": "started"}, []),
    (st(filestate="static"), {"enabled": True}, []),
    # enabled only through another unit: systemd_service enables it itself
    (st(filestate="indirect"), {"enabled": True}, ["enable"]),
    (st(), {"enabled": False, "state": "stopped"}, ["disable", "stop"]),
    (st(active="deactivating", filestate="disabled"), {"enabled": False, "state": "stopped"}, ["stop"]),
    (st(active="inactive", filestate="disabled"), {"enabled": False, "state": "stopped"}, []),
])
def test_each_difference_is_one_step(state, want, actions):
    want = dict({"name": "u.timer", "enabled": None, "state": None}, **want)
    got = units.plan([want], {"u.timer": state})
    assert got == ([("u.timer", actions)] if actions else [])


def test_an_unknown_unit_fails_naming_it_except_in_check_mode():
    wanted = [{"name": "ok.service", "enabled": True, "state": None},
              {"name": "azb-new.timer", "enabled": True, "state": "started"}]
    states = {"ok.service": st(), "azb-new.timer": st(load="not-found", active="inactive", filestate="")}
    with pytest.raises(units.UnitsError, match=r"units\[1\]\.name: systemd knows no unit azb-new.timer"):
        units.plan(wanted, states)
    assert units.plan(wanted, states, check_mode=True) == [("azb-new.timer", ["enable", "start"])]


def test_an_entry_with_nothing_to_do_is_refused_by_field():
    with pytest.raises(ValueError, match=r"units\[0\]: x.service: give enabled, state or restart_on"):
        units.check([{"name": "x.service", "enabled": None, "state": None}])
    with pytest.raises(ValueError, match=r"units\[1\]\.name: required"):
        units.check([{"name": "x.service", "enabled": True}, {"name": " ", "state": "started"}])


def test_daemon_reload_only_for_unit_directories():
    assert units.needs_daemon_reload(["/etc/systemd/system/ulogd2.service.d/azb-restart.conf"])
    assert not units.needs_daemon_reload(["/etc/libvirt/qemu.conf", "/usr/local/lib/azblink/x"])
    assert not units.needs_daemon_reload([])


SHOW = """Id=ulogd2.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=azb-firewall.service
LoadState=loaded
ActiveState=inactive
UnitFileState=enabled
"""


class FakeSystemctl(object):
    def __init__(self, show=SHOW, rc=0):
        self.calls = []
        self.show, self.rc = show, rc

    def __call__(self, argv, data=None):
        self.calls.append(argv)
        if argv[1] == "show":
            return self.rc, self.show, "no bus" if self.rc else ""
        return 0, "", ""


def test_adapter_asks_once_for_all_units_and_applies_in_order():
    fake = FakeSystemctl()
    ad = units.UnitsAdapter(fake)
    states = ad.states(["ulogd2.service", "azb-firewall.service"])
    assert fake.calls == [["systemctl", "show", "--property=Id,LoadState,ActiveState,UnitFileState", "--",
                           "ulogd2.service", "azb-firewall.service"]]
    assert states["azb-firewall.service"]["ActiveState"] == "inactive"
    ad.apply([("a.service", ["start", "enable"]), ("b.timer", ["stop", "disable"])])
    assert fake.calls[1:] == [["systemctl", "enable", "a.service"], ["systemctl", "start", "a.service"],
                              ["systemctl", "stop", "b.timer"], ["systemctl", "disable", "b.timer"]]


def test_adapter_refuses_an_answer_that_does_not_match_the_question():
    with pytest.raises(units.UnitsError, match="answered 2 units for 3 asked"):
        units.UnitsAdapter(FakeSystemctl()).states(["a.service", "b.service", "c.service"])
    with pytest.raises(units.UnitsError, match="no bus"):
        units.UnitsAdapter(FakeSystemctl(rc=1)).states(["a.service"])


@pytest.mark.parametrize("state,want,changed,actions", [
    # a running unit restarts when a file it reads at start changed in the same call
    (st(), {"state": "started", "restart_on": ["/etc/libvirt/qemu.conf"]}, ["/etc/libvirt/qemu.conf"], ["restart"]),
    # a path it does not read changed: nothing
    (st(), {"state": "started", "restart_on": ["/etc/libvirt/qemu.conf"]}, ["/etc/azblink/x"], []),
    # restart_on alone is enough to name a unit
    (st(), {"restart_on": ["/etc/a"]}, ["/etc/a"], ["restart"]),
    # about to be started: the start reads the new file, no restart
    (st(active="inactive"), {"state": "started", "restart_on": ["/etc/a"]}, ["/etc/a"], ["start"]),
    # not running and not to be started, or to be stopped: nothing to restart
    (st(active="inactive"), {"restart_on": ["/etc/a"]}, ["/etc/a"], []),
    (st(), {"state": "stopped", "restart_on": ["/etc/a"]}, ["/etc/a"], ["stop"]),
])
def test_restart_on_a_changed_file_only_for_a_running_unit(state, want, changed, actions):
    assert units.plan([dict(want, name="libvirtd.service")], {"libvirtd.service": state},
                      changed_paths=changed) == ([("libvirtd.service", actions)] if actions else [])


def test_restart_on_must_name_absolute_paths():
    with pytest.raises(ValueError, match=r"units\[0\]\.restart_on\[1\]: an absolute path"):
        units.check([{"name": "libvirtd.service", "restart_on": ["/etc/a", "qemu.conf"]}])


def test_a_unit_only_restarted_may_not_be_written_yet():
    # the WAN health service: its script is a prerequisite, its unit file the module writes later
    missing = st(load="not-found", active="inactive", filestate="")
    entry = {"name": "azb-wan-health.service", "restart_on": ["/usr/local/lib/azblink/azb-wan-health.py"]}
    assert units.plan([entry], {"azb-wan-health.service": missing}, False,
                      ["/usr/local/lib/azblink/azb-wan-health.py"]) == []
    with pytest.raises(units.UnitsError, match=r"units\[0\]\.name: systemd knows no unit"):
        units.plan([dict(entry, enabled=True)], {"azb-wan-health.service": missing}, False, [])
