"""The renderers are pure: model in, nft text and networkd files out."""
import copy


from tests.unit import nft_scratch

from ansible_collections.azblink.nfv.plugins.module_utils.zones import inputs, model, render_networkd, render_nft

from .test_model import GOOD


def site(**changes):
    doc = copy.deepcopy(GOOD)
    doc.update(changes)
    return model.build(doc)


def chain(text, name):
    body = text.split("chain %s {" % name, 1)[1].split("\n\t}", 1)[0]
    return [l.strip() for l in body.splitlines()[2:] if l.strip()]


def test_rendered_ruleset_loads_into_the_kernel():
    nft_scratch.load(render_nft.render(site()))


def test_ten_thousand_entries_are_set_elements_not_rules():
    small = render_nft.render(site())
    policies = [{"name": "p%d" % i, "from": ["10.3.%d.%d" % (i // 250, i % 250 + 1)],
                 "to": ["web"], "proto": "tcp", "ports": ["%d" % (1000 + i % 5000)]}
                for i in range(10000)]
    zones = copy.deepcopy(GOOD["zones"])
    zones[3]["address"] = ["10.3.0.1/16"]
    big = render_nft.render(site(zones=zones, policies=policies))
    assert chain(big, "forward") == chain(small, "forward")
    assert big.count(" . tcp . ") >= 10000
    nft_scratch.load(big)


def test_default_matrix_follows_the_roles():
    m = render_nft.zone_matrix(site())
    assert '"br3" . "br1" : accept' in m          # trusted -> restricted
    assert '"br3" . "br0" : accept' in m          # trusted -> wan
    assert '"br2" . "br0" : accept' in m          # dmz -> wan
    assert not [e for e in m if e.startswith('"br1" . "br0"')]   # restricted: nowhere
    assert not [e for e in m if e.startswith('"br1" . "br3"')]
    assert not [e for e in m if e.startswith('"br2" . "br3"')]   # dmz -> trusted only by policy
    assert not [e for e in m if e.startswith('"br0"')]           # wan -> inside only by forwards


def test_trusted_zones_do_not_reach_each_other_by_default():
    dev = {"name": "dev", "role": "trusted", "bridge": "br4", "address": ["10.4.0.1/24"]}
    zones = copy.deepcopy(GOOD["zones"]) + [dev]
    m = render_nft.zone_matrix(site(zones=zones))
    assert '"br3" . "br4" : accept' not in m and '"br4" . "br3" : accept' not in m


def test_logged_and_rate_limited_policies_get_their_own_rules():
    policies = [{"name": "web-db", "from": ["web"], "to": ["10.3.0.20"], "proto": "tcp", "ports": ["5432"],
                 "log": True, "rate_limit": "10/second burst 5"}]
    fwd = chain(render_nft.render(site(policies=policies)), "forward")
    limited = [r for r in fwd if "limit rate 10/second burst 5 packets" in r]
    assert limited and 'log prefix "azb:web-db " group 0' in limited[0]
    assert any(r.endswith('tcp th dport { 5432 } counter drop comment "policy web-db"') for r in fwd), \
        "over-limit packets must be dropped (and counted as the policy's)"


def test_port_forward_dnat_and_hairpin():
    pre = chain(render_nft.render(site()), "prerouting")
    assert any('iifname { "br0" }' in r and "tcp dport 80 dnat ip to 10.2.0.10" in r for r in pre)
    assert any("iifname != @wan_if ip daddr { 192.0.2.10 } tcp dport 80" in r for r in pre)


def test_isolated_hosts_land_in_the_bridge_table():
    hosts = [{"name": "web", "zone": "dmz", "address": ["10.2.0.10"], "isolated": True}]
    text = render_nft.render_bridge(site(hosts=hosts))
    assert "elements = { 10.2.0.10 }" in text.split("set isolated4 {", 1)[1].split("}", 1)[0] + "}"


def test_networkd_files_for_bridges_ports_and_gateway():
    files = render_networkd.render(site())
    assert "Kind=bridge" in files["40-azb-br0.netdev"]
    assert "Bridge=br0" in files["40-azb-wan1.network"]
    assert "Gateway=192.0.2.9" in files["40-azb-br0.network"]
    assert "Address=10.3.0.1/24" in files["40-azb-br3.network"]
    assert render_networkd.expected_links(site())["wan1"] == ("br0", [])


def test_removal_text_deletes_only_our_tables():
    text = render_nft.render_removal()
    assert "delete table inet azblink" in text and "delete table bridge azblink_l2" in text
    assert "flush ruleset" not in text


def test_an_entry_inside_a_wider_one_is_dropped_not_refused_by_the_kernel():
    policies = [{"name": "office-web", "from": ["office"], "to": ["web"], "proto": "tcp", "ports": ["80-443"]},
                {"name": "one-host", "from": ["10.3.0.7"], "to": ["web"], "proto": "tcp", "ports": ["443"]},
                {"name": "other-port", "from": ["10.3.0.7"], "to": ["web"], "proto": "tcp", "ports": ["8443"]}]
    elems = render_nft.acl_elements(site(policies=policies).policies, "accept")[4]
    assert elems == ["10.3.0.0/24 . 10.2.0.10/32 . tcp . 80-443", "10.3.0.7/32 . 10.2.0.10/32 . tcp . 8443"]
    nft_scratch.load(render_nft.render(site(policies=policies)))


def test_a_tunnel_zone_without_address_and_its_port_on_the_box():
    zones = copy.deepcopy(GOOD["zones"]) + [{"name": "vpn", "role": "trusted", "interfaces": ["wgs2s", "wgrw"]}]
    policies = [{"name": "vpn-in", "from": ["any"], "to": ["self"], "proto": "udp", "ports": ["51820-51821"]},
                {"name": "branches-office", "from": ["10.99.0.0/24"], "to": ["office"], "proto": "any"}]
    s = site(zones=zones, policies=policies)
    text = render_nft.render(s)
    assert '"wgs2s" . "br0" : accept' in render_nft.zone_matrix(s)
    assert ('ip saddr { 0.0.0.0/0 } meta l4proto udp th dport { 51820-51821 } counter accept comment "policy vpn-in"'
            in chain(text, "input"))
    assert not [f for f in render_networkd.render(s) if "wgs2s" in f]
    nft_scratch.load(text)


def test_inputs_open_the_box_by_zone_interface_and_network_in_sets():
    """Openings are set elements (a fixed number of rules), numbers for protocols, both families
    for an interface, ICMPv6 for an IPv6 source of icmp."""
    s = site(inputs=[
        {"name": "wg", "from": ["wan"], "proto": "udp", "ports": ["51820", "51821"]},
        {"name": "ospf", "from": ["office", "wgs2s"], "proto": "ospf"},
        {"name": "vrrp", "from": ["10.3.0.0/24"], "proto": "vrrp"},
        {"name": "ping6", "from": ["2001:db8::/64"], "proto": "icmp"},
        {"name": "bgp", "from": ["any"], "proto": "tcp", "ports": ["179"]},
        {"name": "raw", "from": ["lab"], "proto": 253}])
    text = render_nft.render(s)
    opened = inputs.elements(s.inputs)
    assert opened["if_port"] == ['"br0" . 17 . 51820-51821']
    assert opened["if_proto"] == ['"br1" . 253', '"br3" . 89', '"wgs2s" . 89']
    assert opened["net4_proto"] == ["10.3.0.0/24 . 112"]
    assert opened["net6_proto"] == ["2001:db8::/64 . 58"]
    assert opened["net4_port"] == ["0.0.0.0/0 . 6 . 179"] and opened["net6_port"] == ["::/0 . 6 . 179"]
    rules = chain(text, "input")
    assert "iifname . meta l4proto @input_if_proto accept" in rules
    assert "ip saddr . meta l4proto . th dport @input4_port accept" in rules
    assert len(rules) == len(chain(render_nft.render(site()), "input"))
    nft_scratch.load(text)


def test_overlapping_inputs_become_disjoint_elements_the_kernel_accepts():
    s = site(inputs=[
        {"name": "wide", "from": ["any"], "proto": "udp", "ports": ["1000-2000"]},
        {"name": "narrow", "from": ["10.0.0.0/8"], "proto": "udp", "ports": ["1500-2500", "1800"]},
        {"name": "inside", "from": ["10.1.0.0/16"], "proto": "udp", "ports": ["1200"]},
        {"name": "if-a", "from": ["wgs2s"], "proto": "tcp", "ports": ["1000-2000"]},
        {"name": "if-b", "from": ["wgs2s"], "proto": "tcp", "ports": ["1500-2500"]},
        {"name": "ospf-any", "from": ["any"], "proto": "ospf"},
        {"name": "ospf-lan", "from": ["10.3.0.0/24"], "proto": "ospf"}])
    opened = inputs.elements(s.inputs)
    assert opened["net4_port"] == ["0.0.0.0/0 . 17 . 1000-2000", "10.0.0.0/8 . 17 . 2001-2500"]
    assert opened["if_port"] == ['"wgs2s" . 6 . 1000-2500']
    assert opened["net4_proto"] == ["0.0.0.0/0 . 89"]
    nft_scratch.load(render_nft.render(s))


def test_vlan_zones_on_a_trunk_that_is_also_an_untagged_zone_port():
    """office untagged on wan1's neighbour eno2, voice and cameras tagged 30 and 40 on it; a guest
    zone routed on VLAN 50 of a NIC that carries nothing else."""
    zones = copy.deepcopy(GOOD["zones"])
    zones[3]["interfaces"] = ["eno2"]
    zones += [{"name": "voice", "role": "restricted", "bridge": "br4", "interfaces": ["eno2.30"],
               "address": ["10.4.0.1/24"]},
              {"name": "cameras", "role": "restricted", "bridge": "br5", "interfaces": ["eno2.40"],
               "address": ["10.5.0.1/24"]},
              {"name": "guest", "role": "restricted", "interfaces": ["eno3.50"], "address": ["10.6.0.1/24"]}]
    s = site(zones=zones)
    files = render_networkd.render(s)
    netdev = ["[NetDev]", "Name=eno2.30", "Kind=vlan", "", "[VLAN]", "Id=30"]
    assert files["40-azb-eno2.30.netdev"].splitlines()[2:] == netdev
    assert "Id=40" in files["40-azb-eno2.40.netdev"] and "Id=50" in files["40-azb-eno3.50.netdev"]
    trunk = files["40-azb-eno2.network"]
    # the trunk stays office's untagged port, and carries the two tagged zones
    assert "Bridge=br3" in trunk and trunk.endswith("VLAN=eno2.30\nVLAN=eno2.40\n")
    assert "Bridge=br4" in files["40-azb-eno2.30.network"]
    only_tagged = files["40-azb-eno3.network"]
    assert "Bridge=" not in only_tagged and "Address=" not in only_tagged and only_tagged.endswith("VLAN=eno3.50\n")
    assert "Address=10.6.0.1/24" in files["40-azb-eno3.50.network"]
    links = render_networkd.expected_links(s)
    assert links["eno2.30"] == ("br4", []) and links["eno2"] == ("br3", []) and links["eno3"] == (None, [])
    # the firewall sees the routed VLAN zone by its interface
    assert '"eno3.50"' in render_nft.render(s)
    nft_scratch.load(render_nft.render(s))
