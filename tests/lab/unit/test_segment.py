"""Segments shared by appliances: names fit the kernel's limits, addresses keep the lab-safety
rules, and a segment is removed with the first of its members that goes."""
import pytest

from tests.lab.azblab import topology as t


@pytest.mark.parametrize("name,ok", [("halan", True), ("hawan", True), ("a1", True), ("x" * 8, True),
                                     ("x" * 9, False), ("HA", False), ("1ha", False), ("ha-lan", False),
                                     ("", False)])
def test_segment_names(name, ok):
    assert t.valid_segment_name(name) is ok


def test_interface_names_fit_15_characters():
    longest = "x" * t.SEGMENT_NAME_MAX
    for ifname in (t.segment_port(longest), t.segment_member_port(t.MAX_APPLIANCES), t.segment_uplink_port(longest)):
        assert len(ifname) <= 15, ifname
    assert t.segment_port("halan").startswith(t.SEGMENT_PORT_PREFIX)


def test_a_segment_goes_with_any_of_its_members():
    segs = [{"name": "halan", "members": [23, 24]}, {"name": "hawan", "members": [23, 24]},
            {"name": "other", "members": [5, 6]}]
    assert [s["name"] for s in t.segments_of(segs, {"lab-a24"})] == ["halan", "hawan"]
    assert [s["name"] for s in t.segments_of(segs, {"lab-a6", "lab-a7"})] == ["other"]
    assert t.segments_of(segs, {"lab-a2"}) == []
    assert t.segments_of(segs, {"lab-a2", "lab-a23"}) == segs[:2]


def test_segment_cables_survive_a_power_off():
    from tests.lab.azblab import appliance
    assert t.segment_port("halan").startswith(appliance.KEPT_PREFIXES)
