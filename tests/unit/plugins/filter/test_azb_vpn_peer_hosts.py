"""azb_vpn_peer_hosts: azb_vpn's play_hosts holds this box's peers in the play, only those (it held
every box of the play, so each box's call grew with the fleet), and the module accepts what it gives."""
from ansible_collections.azblink.nfv.plugins.filter.azb_site import azb_vpn_peer_hosts
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import model

KEY = {"mesh": "y" * 43 + "="}
ZONES_B = [{"name": "office", "bridge": "br3", "role": "trusted", "address": "10.20.0.1/24"}]
# The keys are a fact azb_vpn returned: under ansible_facts (ansible.cfg does not inject facts as
# variables too).
HOSTVARS = {"a": {"azb_zones": []}, "b": {"ansible_facts": {"azb_vpn_public_keys": KEY}, "azb_zones": ZONES_B},
            "c": {"ansible_facts": {"azb_vpn_public_keys": KEY}, "azb_zones": []}, "far": {"azb_zones": []}}
TUNNELS = [
    # a's tunnel with b, and with far (a box outside the play)
    {"name": "mesh", "network": "10.99.0.0/24",
     "peers": [{"name": "a", "address": "10.99.0.1", "endpoint": "198.51.100.1"},
               {"name": "b", "address": "10.99.0.2", "endpoint": "198.51.100.2"},
               {"name": "far", "address": "10.99.0.3", "public_key": "z" * 43 + "="}]},
    # b's and c's tunnel, not a's: c is not asked for on a
    {"name": "other", "network": "10.98.0.0/24",
     "peers": [{"name": "b", "address": "10.98.0.1"}, {"name": "c", "address": "10.98.0.2"}]},
]


def test_only_the_peers_of_this_box_in_the_play_are_read():
    out = azb_vpn_peer_hosts(TUNNELS, "a", HOSTVARS, ["a", "b", "c"])
    assert out == {"b": {"public_keys": KEY, "zones": ZONES_B}}
    assert azb_vpn_peer_hosts(TUNNELS, "b", HOSTVARS, ["a", "b", "c"]).keys() == {"a", "c"}
    # a road-warrior server's clients are not boxes of the play: nothing is read
    rw = [{"name": "rw", "type": "openvpn", "network": "10.97.0.0/24",
           "peers": [{"name": "a", "address": "10.97.0.1"}, {"name": "alice"}]}]
    assert azb_vpn_peer_hosts(rw, "a", HOSTVARS, ["a", "b", "c"]) == {}
    assert azb_vpn_peer_hosts(None, "a", HOSTVARS, ["a"]) == {}


def test_a_key_injected_as_a_variable_only_is_not_read():
    """Facts are read where Ansible always keeps them: a top-level variable of that name is the
    inventory's, not the box's key."""
    assert azb_vpn_peer_hosts(TUNNELS, "a", {"b": {"azb_vpn_public_keys": KEY, "azb_zones": []}},
                              ["a", "b"]) == {"b": {"public_keys": {}, "zones": []}}


def _plain(x):
    """The model's objects as plain data, to compare two validations."""
    if hasattr(x, "__dict__"):
        return {k: _plain(v) for k, v in vars(x).items()}
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def test_the_module_builds_the_same_tunnels_from_the_peers_only():
    params = {"tunnels": TUNNELS}
    every = {h: {"public_keys": v.get("ansible_facts", {}).get("azb_vpn_public_keys") or {}, "zones": v["azb_zones"]}
             for h, v in HOSTVARS.items() if h != "far"}
    ctx = {"host": "a", "zones": []}
    want = _plain(model.validate(params, dict(ctx, play_hosts=every)))
    assert want and "y" * 43 + "=" in str(want)  # b's key made it into a's tunnel
    got = model.validate(params, dict(ctx, play_hosts=azb_vpn_peer_hosts(TUNNELS, "a", HOSTVARS, ["a", "b", "c"])))
    assert _plain(got) == want
