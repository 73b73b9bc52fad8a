"""The edge plan: one code path for check mode and a real run, checked by the tools before writing."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_model, edge_plan
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_haproxy as rh
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import ServiceError

from .conftest import EDGE

PEM = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n"


class FakeBox(object):
    """The box as the plan sees it: files, units, a checker that may refuse."""

    def __init__(self, checker_rc=0):
        self.files = {"/proc/sys/net/ipv4/ip_nonlocal_bind": "0\n", "/proc/sys/net/ipv6/ip_nonlocal_bind": "0\n"}
        self.enabled, self.active = set(), set()
        self.checker_rc = checker_rc
        self.commands = []
        self.checked = []

    def read(self, path, binary=False):
        return self.files.get(path)

    def write(self, path, content, mode=0o644):
        self.files[path] = content

    def remove(self, path):
        self.files.pop(path, None)

    def listdir(self, path):
        return sorted(p[len(path) + 1:] for p in self.files if p.startswith(path + "/"))

    def certificate_pem(self, name):
        return PEM if name == "www" else None

    def binary(self, name):
        return "/usr/sbin/" + name

    def check_with(self, argv_of, files, config_of):
        self.checked.append((argv_of("/tmp/c")[0], config_of("/tmp/d")))
        return self.checker_rc, "line 3: unknown keyword"

    def unit_enabled(self, unit):
        return unit in self.enabled

    def unit_active(self, unit):
        return unit in self.active

    def systemctl(self, *args):
        self.commands.append(("systemctl",) + args)
        if args[:2] == ("disable", "--now"):
            self.enabled.discard(args[2])
            self.active.discard(args[2])
        return 0, "", ""

    def run_ok(self, argv, data=None, what=None):
        self.commands.append(tuple(argv))
        if argv[:2] == ["systemctl", "enable"]:
            self.enabled.update(argv[2:])
        if argv[:2] == ["systemctl", "start"]:
            self.active.update(argv[2:])
        if argv[0] == "sysctl":
            key, value = argv[-1].split("=")
            self.files["/proc/sys/" + key.replace(".", "/")] = value + "\n"
        return ""

    def must(self, *args):
        self.run_ok(["systemctl"] + list(args))

    def wait_listening(self, endpoints, seconds):
        return []


def test_first_run_writes_checks_and_starts_then_nothing_changes():
    box = FakeBox()
    edge = edge_model.build(EDGE)
    p = edge_plan.plan(edge, box)
    assert p.changed and set(p.start) == {"haproxy.service", "squid.service"}
    assert "%s/www.pem" % rh.TLS_DIR in p.write
    assert p.sysctl == {"net.ipv4.ip_nonlocal_bind": "1", "net.ipv6.ip_nonlocal_bind": "1"}
    assert [c[0] for c in box.checked] == ["/usr/sbin/haproxy", "/usr/sbin/squid"]
    assert "ssl crt /tmp/d/www.pem" in box.checked[0][1]
    edge_plan.execute(p, box)
    again = edge_plan.plan(edge, box)
    assert not again.changed, again.actions()


def test_a_config_change_reloads_instead_of_restarting():
    box = FakeBox()
    edge_plan.execute(edge_plan.plan(edge_model.build(EDGE), box), box)
    changed = dict(EDGE, load_balancers=[dict(EDGE["load_balancers"][0], balance="leastconn")] + EDGE["load_balancers"][1:])
    p = edge_plan.plan(edge_model.build(changed), box)
    assert p.reload == ["haproxy.service"] and not p.start and not p.stop


def test_a_refused_configuration_changes_nothing():
    box = FakeBox(checker_rc=1)
    with pytest.raises(ServiceError) as exc:
        edge_plan.plan(edge_model.build(EDGE), box)
    assert "haproxy -c refuses" in str(exc.value)
    assert not box.commands and rh.CONFIG not in box.files


def test_the_diff_never_shows_the_key():
    box = FakeBox()
    p = edge_plan.plan(edge_model.build(EDGE), box)
    text = repr(p.diff())
    assert "SECRET" not in text and "sha256" in text


def test_a_missing_certificate_is_refused_with_its_field():
    box = FakeBox()
    doc = dict(EDGE, load_balancers=[dict(EDGE["load_balancers"][1], certificate="nope")])
    from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
    with pytest.raises(ValidationError) as exc:
        edge_plan.plan(edge_model.build(doc), box)
    assert exc.value.path == "load_balancers[0].certificate"


def test_dropping_the_proxy_stops_squid_and_removes_only_our_config():
    box = FakeBox()
    edge_plan.execute(edge_plan.plan(edge_model.build(EDGE), box), box)
    p = edge_plan.plan(edge_model.build(dict(EDGE, forward_proxy=None)), box)
    assert p.stop == ["squid.service"] and "/etc/squid/squid.conf" in p.remove
    box2 = FakeBox()
    box2.files["/etc/squid/squid.conf"] = "# the admin's own\nhttp_port 3128\n"
    p2 = edge_plan.plan(edge_model.build(dict(EDGE, forward_proxy=None)), box2)
    assert "squid.service" not in p2.stop and "/etc/squid/squid.conf" not in p2.remove


def test_check_mode_on_a_box_without_the_tools_notes_instead_of_failing():
    box = FakeBox()
    box.binary = lambda name: None
    p = edge_plan.plan(edge_model.build(EDGE), box, check_mode=True)
    assert p.changed and any("haproxy is not installed yet" in a for a in p.actions())
    with pytest.raises(ServiceError):
        edge_plan.plan(edge_model.build(EDGE), box, check_mode=False)
