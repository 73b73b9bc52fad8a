"""Policy endpoints parsed by hand into integers agree with ipaddress on what they accept and mean."""
import ipaddress

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.zones import nets


@pytest.mark.parametrize("text", ["10.0.0.1", "10.0.0.1/8", "0.0.0.0/0", "255.255.255.255/32", "192.0.2.7/29",
                                  "2001:db8::1", "2001:db8::/32", "::/0"])
def test_same_network_as_ipaddress(text):
    want = ipaddress.ip_network(text, strict=False)
    got = nets.network(text, "p")
    assert got == want and str(got) == str(want) and got.version == want.version
    assert hash(got) == hash(nets.Net.of(want))


@pytest.mark.parametrize("text", ["01.2.3.4", "1.2.3.4/33", "256.1.1.1", "1.2.3", "1.2.3.4 ", " 1.2.3.4",
                                  "1.2.3.4/", "+1.2.3.4", "1.2.3.4/3a", "nonsense", "10.0.0.0/08x"])
def test_fast_path_leaves_odd_spellings_to_ipaddress(text):
    assert nets.parse(text) is None
    try:
        want = ipaddress.ip_network(text, strict=False)
    except ValueError:
        with pytest.raises(ValidationError) as err:
            nets.network(text, "policies[0].from[0]")
        assert err.value.path == "policies[0].from[0]"
    else:
        assert nets.network(text, "p") == want


def test_containment_and_overlap():
    wide, narrow, other = (nets.network(t, "p") for t in ("10.3.0.0/16", "10.3.7.0/24", "10.4.0.0/24"))
    assert narrow.subnet_of(wide) and not wide.subnet_of(narrow) and not other.subnet_of(wide)
    assert narrow.subnet_of(ipaddress.ip_network("10.0.0.0/8"))
    assert wide.overlaps(narrow) and narrow.overlaps(wide) and not wide.overlaps(other)
    assert ipaddress.ip_address("10.3.7.9") in narrow and ipaddress.ip_address("10.4.0.1") not in narrow
    assert ipaddress.ip_address("::1") not in wide
    assert not nets.network("::/0", "p").subnet_of(wide)
