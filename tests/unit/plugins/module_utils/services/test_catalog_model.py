"""azb_services' model: catalog errors, unknown services or versions and services the appliance's
tenant does not authorize are refused with the field path, before anything is pushed or changed."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.services import catalog_model
from tests.unit.docpath import DELETE

from tests.unit.refusal import assert_refused
from .conftest import catalog_with

BAD = [
    ("catalog entry without name", "catalog.0.name", None, "catalog[0].name", "required"),
    ("catalog entry without version", "catalog.0.version", None, "catalog[0].version", "required"),
    ("bad version", "catalog.0.version", "1.0 beta", "catalog[0].version", "not a version"),
    ("unknown kind", "catalog.0.kind", "snap", "catalog[0].kind", "not one of"),
    ("no artefact", "catalog.0.artefact", None, "catalog[0].artefact", "is required"),
    ("oci without image", "catalog.0.artefact", {"package": "x"}, "catalog[0].artefact.image", "required"),
    ("deb without package", "catalog.2.artefact", {"unit": "ntpsec.service"}, "catalog[2].artefact.package",
     "required"),
    ("deb bad package name", "catalog.2.artefact.package", "NTP sec", "catalog[2].artefact.package",
     "not a Debian package"),
    ("deb bad unit", "catalog.2.artefact.unit", "ntpsec", "catalog[2].artefact.unit", "not a systemd service"),
    ("deb with a command", "catalog.2.command", ["/bin/true"], "catalog[2].command", "package's unit"),
    ("empty command", "catalog.0.command", [], "catalog[0].command", "non-empty list"),
    ("bad environment name", "catalog.0.environment", {"1BAD": "x"}, "catalog[0].environment['1BAD']",
     "not a variable name"),
    ("config file outside its directory", "catalog.0.config", {"../etc/passwd": "x"},
     "catalog[0].config['../etc/passwd']", "relative path"),
    ("absolute config file", "catalog.0.config", {"/etc/shadow": "x"}, "catalog[0].config['/etc/shadow']",
     "relative path"),
    ("config mount relative", "catalog.0.config_mount", "config", "catalog[0].config_mount", "absolute path"),
    ("no health check", "catalog.0.health", None, "catalog[0].health", "is required"),
    ("health port out of range", "catalog.0.health.port", 0, "catalog[0].health.port", "out of range"),
    ("unknown health check", "catalog.0.health.type", "icmp", "catalog[0].health.type", "not one of"),
    ("duplicate name and version", "catalog.1.version", "1.0", "catalog[1]", "duplicate name and version"),
    ("one service, two kinds", "catalog.1.kind", "deb", "catalog[1].artefact.package", "required"),
    ("no tenant", "tenant", None, "tenant", "is required"),
    ("unknown tenant", "tenant", "initech", "tenant", "not in tenants"),
    ("tenant does not authorize", "tenant", "globex", "services[0].name", "does not authorize 'hello'"),
    ("service not in the catalog", "services.0.name", "portal", "services[0].name", "not in the catalog"),
    ("version not in the catalog", "services.0.version", "3.0", "services[0].version", "no version '3.0'"),
    ("service without version", "services.1.version", DELETE, "services[1].version", "required"),
    ("unknown service state", "services.0.state", "running", "services[0].state", "not one of"),
    ("service listed twice", "services.1", {"name": "hello", "version": "2.0"}, "services[1]", "duplicate service"),
    ("override outside the config directory", "services.0.config", {"../../x": "y"},
     "services[0].config['../../x']", "relative path"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(what, path, value, field, words):
    assert_refused(lambda: catalog_model.build(catalog_with(path, value)), field, words)


def test_two_kinds_of_one_service_are_refused(request_):
    request_["catalog"][2]["name"] = "hello"
    request_["catalog"][2]["version"] = "3.0"
    with pytest.raises(ValidationError) as exc:
        catalog_model.build(request_)
    assert exc.value.path == "catalog[2].kind" and "one kind per service" in exc.value.reason


def test_two_services_on_one_port_are_refused(request_):
    request_["catalog"][2]["health"]["port"] = 8081
    with pytest.raises(ValidationError) as exc:
        catalog_model.build(request_)
    assert exc.value.path == "services[1]" and "port 8081" in exc.value.reason


def test_good_request_builds_with_merged_config(request_):
    request_["services"][0]["config"] = {"extra.txt": "more"}
    d = catalog_model.build(request_)
    hello, ntp = d.services
    assert (hello.version, hello.state, hello.entry.kind, hello.entry.mount) == ("1.0", "started", "oci", "/config")
    assert hello.config == {"greeting.txt": "hi\n", "extra.txt": "more"}
    assert (ntp.entry.package, ntp.entry.unit) == ("ntpsec", "ntpsec.service")


def test_removing_needs_no_authorization(request_):
    request_["tenant"] = "globex"
    request_["services"] = [{"name": "hello", "version": "1.0", "state": "absent"}]
    assert catalog_model.build(request_).services[0].state == "absent"


def test_numeric_versions_are_read_as_text(request_):
    request_["catalog"][1]["version"] = 2.0
    request_["services"][0]["version"] = "2.0"
    assert catalog_model.build(request_).services[0].version == "2.0"


def test_no_services_needs_no_tenant():
    assert catalog_model.build({"catalog": [], "services": []}).services == []
