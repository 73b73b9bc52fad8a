"""Profiles and inventory resolution: zone -> bridge, profile defaults + overrides, errors with paths."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, profiles

ZONES = [{"name": "wan", "bridge": "br0", "role": "wan"}, {"name": "lab", "bridge": "br1", "role": "restricted"},
         {"name": "dmz", "bridge": "br2", "role": "dmz"}, {"name": "office", "bridge": "br3", "role": "trusted"},
         {"name": "dev", "bridge": "br4", "role": "trusted"}]
HOST = {"memory_mib": 8192, "cpus": 4}


def test_every_profile_resolves_and_validates():
    vms = [{"name": "vm-%s" % p, "profile": p, "health": {"address": "10.3.0.9"}} for p in profiles.PROFILES]
    out = profiles.resolve(vms, ZONES, host=HOST)
    assert len(out) == len(profiles.PROFILES)
    by = dict((o["name"], o) for o in out)
    assert by["vm-windows-desktop"]["args"]["os_type"] == "windows"
    assert by["vm-pos"]["args"]["nics"][0]["bridge"] == "br1"
    assert by["vm-sbc"]["args"]["vcpu_pins"] == ["3"] and by["vm-sbc"]["publish"][0]["port"] == "5060"
    assert by["vm-ai-worker"]["args"]["vcpu_pins"] == ["1", "2", "3"]
    assert by["vm-ai-worker"]["args"]["memory"] == 6144
    assert by["vm-nvr"]["args"]["nics"][0]["rate_limit"]["inbound_kbit"] == 100000
    assert by["vm-nvr"]["health"]["address"] == "10.3.0.9" and by["vm-linux-server"]["health"] is None


def test_overrides_win_and_lists_replace():
    out = profiles.resolve([{"name": "w1", "profile": "linux-server", "memory": 192,
                             "nics": [{"zone": "dev", "address": "10.4.0.5/24"}]}], ZONES)
    args = out[0]["args"]
    assert args["memory"] == 192 and args["vcpus"] == 1
    assert args["nics"] == [{"bridge": "br4"}]
    assert out[0]["addresses"] == ["10.4.0.5/24"]


def test_always_on_probe_defaults_to_first_nic_address():
    out = profiles.resolve([{"name": "p1", "profile": "pos", "nics": [{"zone": "lab", "address": "10.1.0.7/24"}],
                             "health": {"probe": "tcp", "port": 80}}], ZONES)
    assert out[0]["health"] == {"name": "p1", "address": "10.1.0.7", "probe": "tcp", "port": 80,
                                "failures": 3, "action": "reset", "grace": 60}


BAD = [
    ([{"name": "a", "profile": "gamer"}], "azb_vms[0].profile: unknown profile 'gamer'"),
    ([{"name": "a", "nics": [{"zone": "mars"}]}], "azb_vms[0].nics[0].zone: unknown zone 'mars' (known: dev, dmz, lab, office, wan)"),
    ([{"name": "a", "nics": [{}]}], "azb_vms[0].nics[0].zone: is required"),
    ([{"name": "a"}, {"name": "a"}], "azb_vms[1].name: duplicate VM name 'a' (also azb_vms[0])"),
    ([{"name": "a", "nics": [{"zone": "office", "mac": "52:54:00:00:00:01"}]},
      {"name": "b", "nics": [{"zone": "dev", "mac": "52:54:00:00:00:01"}]}],
     "azb_vms[1].nics[0].mac: duplicate MAC 52:54:00:00:00:01 (also azb_vms[0].nics[0])"),
    ([{"name": "a", "vcpus": 0}], "azb_vms[0].vcpus: must be >= 1"),
    ([{"name": "a", "profile": "pos", "nics": [{"zone": "lab"}]}], "azb_vms[0].health.address: an always-on VM needs a probe address"),
    ([{"name": "a", "always_on": True, "health": {"address": "10.3.0.1", "probe": "dns"}}], "azb_vms[0].health.probe: must be ping or tcp"),
]


@pytest.mark.parametrize("vms,message", BAD)
def test_bad_inventory_names_the_field(vms, message):
    with pytest.raises(model.SpecError) as exc:
        profiles.resolve(vms, ZONES, host=HOST)
    assert message in str(exc.value), str(exc.value)


def test_profile_zone_role_missing():
    with pytest.raises(model.SpecError) as exc:
        profiles.resolve([{"name": "s", "profile": "sbc", "health": {"address": "10.2.0.2"}}],
                         [{"name": "office", "bridge": "br3", "role": "trusted"}], host=HOST)
    assert "azb_vms[0].nics[0].zone: the profile wants a dmz zone" in str(exc.value)
