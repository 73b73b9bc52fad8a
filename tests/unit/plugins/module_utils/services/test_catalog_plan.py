"""The catalog plan against a box in a temporary directory: push, update, rollback, removal, status."""
import json
import os

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.services import catalog_model, catalog_plan
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_unit as ru
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import Adapter, ServiceError

from .conftest import CATALOG
from .test_oci import _image


class Box(Adapter):
    """The real file operations under a temporary root; systemd and dpkg faked."""

    def __init__(self):
        Adapter.__init__(self, self.fake_run)
        self.enabled, self.active, self.commands = set(), set(), []
        self.packages = {}

    def fake_run(self, argv, data=None):
        self.commands.append(list(argv))
        if argv[0] == "systemctl":
            verb, units = argv[1], [a for a in argv[2:] if not a.startswith("-")]
            if verb == "is-enabled":
                return (0 if units[0] in self.enabled else 1), "", ""
            if verb == "is-active":
                return (0 if units[0] in self.active else 3), "", ""
            if verb == "enable":
                self.enabled.update(units)
            if verb in ("start", "restart"):
                self.active.update(units)
            if verb == "disable":
                self.enabled.difference_update(units)
                if "--now" in argv:
                    self.active.difference_update(units)
            if verb == "show":
                return 0, "ActiveState=%s\nSubState=running\nUnitFileState=enabled\nNRestarts=0\n" % (
                    "active" if argv[2] in self.active else "inactive"), ""
            return 0, "", ""
        if argv[0] == "dpkg-query":
            v = self.packages.get(argv[-1])
            return (0, "installed %s" % v, "") if v else (1, "", "")
        if argv[0] == "apt-get" and argv[1] == "install":
            pkg, _sep, ver = argv[-1].partition("=")
            self.packages[pkg] = ver
        return 0, "", ""


@pytest.fixture
def box(tmp_path, monkeypatch):
    for name in ("ARTEFACT_DIR", "STATE_DIR", "CONFIG_DIR", "UNIT_DIR"):
        d = str(tmp_path / name.lower())
        os.makedirs(d)
        monkeypatch.setattr(ru, name, d)
    push("1.0")
    return Box()


def push(version):
    """What the role does before the module runs: the artefact of the wanted version on the box."""
    _image(ru.artefact_path("hello", version), [[("srv", None), ("srv/version", version.encode())]],
           cmd=("/bin/busybox", "httpd", "-f"))


def request(version="1.0", **extra):
    doc = json.loads(json.dumps(CATALOG))
    doc["services"] = [dict({"name": "hello", "version": version}, **extra)]
    return catalog_model.build(doc)


def healthy(_h):
    return True


def test_push_runs_then_nothing_changes(box):
    p = catalog_plan.plan(request(), box)
    assert p.changed and p.steps[0].unpack and p.steps[0].start and p.steps[0].enable
    catalog_plan.execute(p, box, healthy)
    root = ru.rootfs("hello", "1.0")
    assert open(os.path.join(root, "srv/version")).read() == "1.0"
    unit = open(os.path.join(ru.UNIT_DIR, "azb-svc-hello.service")).read()
    assert "RootDirectory=%s" % root in unit and "ExecStart=/bin/busybox httpd -f" in unit
    assert open(os.path.join(ru.config_dir("hello"), "greeting.txt")).read() == "hi\n"
    again = catalog_plan.plan(request(), box)
    assert not again.changed, again.actions()
    status = catalog_plan.gather(box, healthy)["hello"]
    assert (status["version"], status["running"], status["healthy"]) == ("1.0", True, True)


def test_check_mode_changes_nothing(box):
    p = catalog_plan.plan(request(), box, check_mode=True)
    assert p.changed and not os.listdir(ru.STATE_DIR) and not box.active


def test_update_switches_and_drops_the_old_root_and_artefact(box):
    catalog_plan.execute(catalog_plan.plan(request(), box), box, healthy)
    push("2.0")
    p = catalog_plan.plan(request("2.0"), box)
    step = p.steps[0]
    assert step.unpack and step.restart and ru.rootfs("hello", "1.0") in step.remove
    catalog_plan.execute(p, box, healthy)
    assert not os.path.exists(ru.rootfs("hello", "1.0"))
    assert not os.path.exists(ru.artefact_path("hello", "1.0"))
    assert json.load(open(ru.state_path("hello")))["version"] == "2.0"


def test_an_unhealthy_update_puts_the_old_version_back(box):
    catalog_plan.execute(catalog_plan.plan(request(), box), box, healthy)
    doc = json.loads(json.dumps(CATALOG))
    doc["catalog"][1]["health"]["timeout_s"] = 1
    doc["services"] = [{"name": "hello", "version": "2.0"}]
    push("2.0")
    with pytest.raises(ServiceError) as exc:
        catalog_plan.execute(catalog_plan.plan(catalog_model.build(doc), box), box, lambda h: False)
    assert "1.0 is running again" in str(exc.value)
    assert json.load(open(ru.state_path("hello")))["version"] == "1.0"
    assert os.path.isdir(ru.rootfs("hello", "1.0"))
    assert "RootDirectory=%s" % ru.rootfs("hello", "1.0") in open(os.path.join(ru.UNIT_DIR, "azb-svc-hello.service")).read()


def test_a_service_no_longer_listed_is_removed(box):
    catalog_plan.execute(catalog_plan.plan(request(), box), box, healthy)
    empty = catalog_model.build({"catalog": CATALOG["catalog"], "services": []})
    p = catalog_plan.plan(empty, box)
    assert p.steps[0].stop
    catalog_plan.execute(p, box, healthy)
    assert os.listdir(ru.STATE_DIR) == [] and os.listdir(ru.UNIT_DIR) == []
    assert os.listdir(ru.ARTEFACT_DIR) == []
    assert "azb-svc-hello.service" not in box.active
    assert catalog_plan.gather(box, healthy) == {}


def test_a_missing_artefact_fails_before_anything_changes(box):
    os.unlink(ru.artefact_path("hello", "1.0"))
    with pytest.raises(ServiceError) as exc:
        catalog_plan.plan(request(), box)
    assert "not on the box" in str(exc.value) and not box.active


def test_a_deb_service_installs_its_version_and_runs_its_unit(box):
    doc = json.loads(json.dumps(CATALOG))
    doc["services"] = [{"name": "ntp", "version": "1.2.2"}]
    p = catalog_plan.plan(catalog_model.build(doc), box)
    assert p.steps[0].install == "ntpsec=1.2.2"
    catalog_plan.execute(p, box, healthy)
    assert box.packages["ntpsec"] == "1.2.2" and "ntpsec.service" in box.active
    assert not catalog_plan.plan(catalog_model.build(doc), box).changed
    assert catalog_plan.gather(box, healthy)["ntp"]["version"] == "1.2.2"
