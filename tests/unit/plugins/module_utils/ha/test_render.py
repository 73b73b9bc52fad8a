"""Pure renderers of azb_ha and the zones firewall openings the pair implies."""
from ansible_collections.azblink.nfv.plugins.module_utils.ha import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied

from .conftest import A23, GOOD


def test_keepalived_sync_group_no_preempt_and_wan_tracking(good):
    conf = render.keepalived(model.build(good))
    assert "vrrp_version 3" in conf
    assert "vrrp_sync_group azb_pair {\n  group {\n    azb_office\n    azb_wan\n  }" in conf
    assert "  interface br3\n  virtual_router_id 51\n  priority 150\n  advert_int 0.25\n" in conf
    assert "    10.3.0.1/24 dev br3\n" in conf and "    198.51.100.4/29 dev ls-hawan\n" in conf
    assert conf.count("nopreempt") == 2 and "preempt_delay" not in conf
    assert 'script "/usr/local/lib/azblink/azb-ha-wan-check ls-hawan 198.51.100.1"' in conf
    assert conf.count("track_script {\n    azb_wan\n  }") == 2


def test_preempt_when_configured(good):
    good.update(preempt=True, preempt_delay_s=20)
    conf = render.keepalived(model.build(good))
    assert "nopreempt" not in conf and conf.count("preempt_delay 20") == 2


def test_conntrackd_syncs_between_the_nodes_own_addresses(good):
    conf = render.conntrackd(model.build(good))
    assert "IPv4_address 10.3.0.2\n    IPv4_Destination_Address 10.3.0.3\n    Port 3780\n    Interface br3" in conf
    assert "Mode FTFW" in conf
    for ignored in ("10.3.0.1", "198.51.100.4", "10.3.0.2", "10.3.0.3"):
        assert "      IPv4_address %s\n" % ignored in conf


def test_transition_script_commits_the_peer_connections_on_master():
    sh = render.notify()
    master = sh[sh.index("MASTER)"):sh.index("BACKUP)")]
    assert master.index("$CT -c") < master.index("$CT -f") < master.index("$CT -R") < master.index("$CT -B")
    assert "$CT -n" in sh[sh.index("BACKUP)"):]


def test_inside_traffic_leaves_from_the_shared_wan_address(good):
    nft = render.nft_table(model.build(good))
    assert "type nat hook postrouting priority srcnat - 10; policy accept;" in nft
    assert 'oifname "ls-hawan" ip saddr { 10.3.0.0/24 } snat to 198.51.100.4' in nft
    assert nft.index("table ip azblink_ha\ndelete table ip azblink_ha\n") > 0


def test_watchdog_dropins_for_every_unit(good):
    good["watchdog_units"] = ["keepalived.service", "conntrackd.service", "azb-wan-health.service"]
    files = render.files(model.build(good))
    dropins = sorted(p for p in files if p.endswith("50-azb-watchdog.conf"))
    assert len(dropins) == 3
    assert "Restart=always" in files[dropins[0]] and "StartLimitIntervalSec=0" in files[dropins[0]]


def test_the_pair_opens_vrrp_and_the_sync_port_in_the_zones_firewall():
    view = implied.BoxView("lab-a23", {"azb_zones": A23, "azb_ha": GOOD})
    inputs = implied.box_inputs(view)
    assert {"name": "ha-vrrp-office", "from": ["office"], "proto": "vrrp"} in inputs
    assert {"name": "ha-vrrp-wan", "from": ["wan"], "proto": "vrrp"} in inputs
    assert {"name": "ha-sync", "from": ["office"], "proto": "udp", "ports": ["3780"]} in inputs


def test_no_pair_no_openings():
    view = implied.BoxView("lab-a23", {"azb_zones": A23})
    assert not [i for i in implied.box_inputs(view) if i["name"].startswith("ha-")]


def test_synced_tcp_flows_are_not_invalid_on_the_new_master(good):
    unit = render.nat_unit()
    assert unit.index("ExecStart=/sbin/sysctl -q -w net.netfilter.nf_conntrack_tcp_be_liberal=1") < unit.index(
        "ExecStart=/usr/sbin/nft -f /etc/azblink/ha.nft")


def test_the_shared_address_nat_is_loaded_before_any_interface_is_up():
    unit = render.nat_unit()
    assert "Before=network-pre.target" in unit and "After=azb-firewall.service" in unit
    assert "DefaultDependencies=no" in unit, "basic.target comes after network-pre: the order would cycle"


def test_conntrackd_waits_for_its_address_and_keepalived_for_conntrackd(good):
    files = render.files(model.build(good))
    ct = files["/etc/systemd/system/conntrackd.service.d/40-azb-ha-order.conf"]
    ka = files["/etc/systemd/system/keepalived.service.d/40-azb-ha-order.conf"]
    assert "After=network-online.target" in ct and "Wants=network-online.target" in ct
    assert "After=conntrackd.service" in ka and "Wants=conntrackd.service" in ka
