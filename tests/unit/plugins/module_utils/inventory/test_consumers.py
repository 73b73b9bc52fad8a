"""One inventory model: every consumer of the shared documents accepts, normalises and refuses the
same input the same way (the issue-16 seams: a list ``address`` broke the vpn role; a tunnel zone
without address made the vpn role refuse its own zone; a bridgeless zone broke the VM plan)."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.vm import model as vm_model
from ansible_collections.azblink.nfv.plugins.module_utils.vm import profiles
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import model as vpn_model
from ansible_collections.azblink.nfv.plugins.module_utils.wan import model as wan_model
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model as zones_model

from tests.unit import docpath

KB = "q3W2t5TG9xZjN7a0kDMYdDsaP0dKnnxUzuTgY3cZ3nM="

# The README's site: the office address as a list, a tunnel zone with no address.
ZONES = [
    {"name": "uplink", "role": "wan", "interfaces": ["wan1"], "address": ["192.0.2.10/29"]},
    {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.31.0.1/24"]},
    {"name": "vpn", "role": "trusted", "interfaces": ["wgs2s"]},
]
HOSTS = [{"name": "vm-a", "zone": "office", "address": "10.31.0.20/24"}]


def _zones(zones, hosts):
    site = zones_model.build({"zones": zones, "hosts": hosts, "management_sources": ["198.18.0.1/32"]})
    return {"networks": dict((z.name, sorted(str(n) for n in z.networks)) for z in site.zones),
            "hosts": dict((h.name, [str(a) for a in h.addresses]) for h in site.hosts)}


def _wan(zones, hosts):
    site = wan_model.build({"mode": "failover", "zones": zones, "hosts": hosts, "wans": [
        {"name": "wan1", "interface": "wan1", "address": ["192.0.2.10/29"], "gateway": "192.0.2.9",
         "health": {"targets": ["203.0.113.1"]}}]})
    return {"networks": dict((z.name, sorted(str(n) for n in z.networks)) for z in site.zones),
            "hosts": dict((h.name, [str(a) for a in h.addresses]) for h in site.hosts)}


def _vpn(zones, hosts):
    """The tunnel's local networks are the default ones: every trusted zone with an address."""
    tunnel = {"name": "wgs2s", "network": "10.99.0.0/24",
              "peers": [{"name": "site-a", "address": "10.99.0.1"},
                        {"name": "site-b", "address": "10.99.0.2", "public_key": KB}]}
    try:
        t = vpn_model.validate({"tunnels": [tunnel]}, {"host": "site-a", "zones": zones})[0]
    except SpecError as exc:
        raise ValidationError(exc.path, exc.reason)
    return {"local": t.local_networks}


def _vm_plan(zones, hosts):
    vms = [{"name": "vm-a", "profile": "linux-server", "memory_mib": 256,
            "nics": [{"zone": "office", "address": "10.31.0.20/24"}]}]
    try:
        plan = profiles.resolve(vms, zones)
    except vm_model.SpecError as exc:
        path, reason = exc.errors[0]
        raise ValidationError(path[len("azb_"):] if path.startswith("azb_") else path, reason)
    return {"bridges": [n["bridge"] for n in plan[0]["args"]["nics"]]}


def _site_filters(zones, hosts):
    view = implied.BoxView("site-a", {"azb_zones": zones})
    return {"wired": implied.wired_zones(view) == zones or implied.wired_zones(view)}


CONSUMERS = [("azb_zone", _zones), ("azb_wan_policy", _wan), ("azb_vpn", _vpn), ("azb_vm_plan", _vm_plan),
             ("azb_site filters", _site_filters)]


def _all(zones, hosts=None):
    return dict((name, fn(copy.deepcopy(zones), copy.deepcopy(hosts or HOSTS))) for name, fn in CONSUMERS)


def test_the_readme_site_is_accepted_by_every_consumer():
    out = _all(ZONES)
    assert out["azb_zone"]["networks"] == out["azb_wan_policy"]["networks"] == {
        "uplink": ["192.0.2.8/29"], "office": ["10.31.0.0/24"], "vpn": []}
    assert out["azb_zone"]["hosts"] == out["azb_wan_policy"]["hosts"] == {"vm-a": ["10.31.0.20"]}
    assert out["azb_vpn"]["local"] == ["10.31.0.0/24"]     # bug 2: the address-less vpn zone is no error
    assert out["azb_vm_plan"]["bridges"] == ["br3"]          # a bridgeless zone is no error either


EQUIVALENT = [
    # (what, path, value): the same meaning written another way is read the same by everyone
    ("address as a string", "1.address", "10.31.0.1/24"),
    ("interfaces as a string", "2.interfaces", "wgs2s"),
]


@pytest.mark.parametrize("what,path,value", EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_equivalent_spellings_are_normalised_the_same_everywhere(what, path, value):
    assert _all(docpath.changed(ZONES, path, value)) == _all(ZONES)


BAD = [
    # (what, path in azb_zones, value, field path every consumer reports, words of the reason)
    ("bad address in a list", "1.address", ["10.31.0.300/24"], "zones[1].address[0]", "not an address"),
    ("bad address as a string", "1.address", "10.31.0.300/24", "zones[1].address[0]", "not an address"),
    ("address as a dictionary", "1.address", {"ip": "10.31.0.1"}, "zones[1].address", "string or a list"),
    ("unknown role", "1.role", "secure", "zones[1].role", "not one of"),
    ("missing role", "1.role", None, "zones[1].role", "required"),
    ("bad zone name", "1.name", "Office Zone", "zones[1].name", "not a valid name"),
    ("duplicate zone name", "2.name", "office", "zones[2]", "duplicate zone name"),
    ("bad bridge name", "1.bridge", "bridge-for-the-office", "zones[1].bridge", "interface name"),
    ("bad interface name", "2.interfaces", ["wg s2s"], "zones[2].interfaces[0]", "interface name"),
    ("zone not a dictionary", "2", "vpn", "zones[2]", "must be a dictionary"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("consumer,fn", CONSUMERS, ids=[c[0] for c in CONSUMERS])
def test_bad_zones_are_refused_by_every_consumer_with_the_same_path(consumer, fn, what, path, value, field, words):
    doc = docpath.changed(ZONES, path, value)
    with pytest.raises(ValidationError) as err:
        fn(doc, HOSTS)
    assert err.value.path.endswith(field) and err.value.path in (field, "azb_" + field), str(err.value)
    assert words in err.value.reason, str(err.value)


BAD_HOSTS = [
    ("host address outside its zone", "0.address", "10.32.0.20", "hosts[0].address[0]", "outside zone office"),
    ("host in an unknown zone", "0.zone", "lab", "hosts[0].zone", "unknown zone"),
    ("bad host address", "0.address", ["10.31.0.x"], "hosts[0].address[0]", "not a valid IP"),
    ("host without address", "0.address", [], "hosts[0].address", "required"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD_HOSTS, ids=[b[0] for b in BAD_HOSTS])
@pytest.mark.parametrize("consumer,fn", CONSUMERS[:2], ids=[c[0] for c in CONSUMERS[:2]])
def test_bad_hosts_are_refused_by_every_consumer_with_the_same_path(consumer, fn, what, path, value, field, words):
    with pytest.raises(ValidationError) as err:
        fn(ZONES, docpath.changed(HOSTS, path, value))
    assert err.value.path == field, str(err.value)
    assert words in err.value.reason, str(err.value)
