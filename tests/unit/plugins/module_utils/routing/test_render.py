"""frr.conf as FRR 8.4 prints it, keys only where FRR needs them, never in masked output."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.routing import model, render


@pytest.fixture
def conf(good):
    return render.frr_conf(model.build(good), hostname="lab-a17")


def block(text, head):
    lines = text.splitlines()
    i = lines.index(head)
    out = []
    for line in lines[i + 1:]:
        if line == "exit":
            break
        out.append(line)
    return out


def test_header_and_hostname(conf):
    assert conf.startswith("frr version 8.4.4\nfrr defaults traditional\nhostname lab-a17\n")
    assert conf.endswith("end\n")


def test_link_interface_carries_address_ospf_bfd_auth_and_pim(conf):
    assert block(conf, "interface lk-a18") == [
        " ip address 198.19.17.73/30",
        " ip ospf authentication message-digest",
        " ip ospf message-digest-key 1 md5 s3cret",
        " ip ospf area 0.0.0.0",
        " ip ospf bfd",
        " ip ospf bfd profile fast",
        " ip ospf dead-interval 4",
        " ip ospf hello-interval 1",
        " ip ospf network point-to-point",
        " ip pim",
    ]


def test_zone_interface_is_passive_with_igmp(conf):
    assert block(conf, "interface br3") == [" ip ospf area 0.0.0.0", " ip ospf passive", " ip pim", " ip igmp"]


def test_router_ospf(conf):
    assert block(conf, "router ospf") == [
        " ospf router-id 10.255.0.17",
        " redistribute connected route-map AZB-OSPF-CONNECTED",
        " redistribute rip metric-type 1",
        " timers throttle spf 10 100 5000",
        " area 0.0.0.1 stub",
    ]


def test_zone_redistribution_goes_through_a_generated_prefix_list(conf):
    assert "ip prefix-list azb-ospf-connected-zones seq 5 permit 10.17.4.0/24" in conf
    assert block(conf, "route-map AZB-OSPF-CONNECTED permit 10") == [
        " match ip address prefix-list azb-ospf-connected-zones"]


def test_router_rip_with_key_chain_and_distribute_list(conf):
    assert block(conf, "router rip") == [
        " distribute-list prefix legacy-in in", " network lk-legacy", " network br3",
        " passive-interface br3", " redistribute ospf",
        " redistribute connected route-map AZB-RIP-CONNECTED", " version 2"]
    assert block(conf, "interface lk-legacy") == [
        " ip address 198.19.0.69/30", " ip rip authentication key-chain azb-rip-lk-legacy",
        " ip rip authentication mode md5"]
    assert "key chain azb-rip-lk-legacy\n key 1\n  key-string ripkey\n exit\nexit\n" in conf


def test_static_routes_and_pim_rp(conf):
    assert "ip route 10.99.0.0/16 blackhole\n" in conf
    assert "ip route 10.98.0.0/16 198.19.17.74 200 table 100\n" in conf
    assert "ip pim rp 10.255.0.18 239.0.0.0/8\n" in conf


def test_bfd_leaves_frr_defaults_out(conf):
    assert block(conf, "bfd") == [" profile fast", "  receive-interval 100", "  transmit-interval 100",
                                  " exit", " !", " peer 198.19.17.74 interface lk-a18", "  profile fast",
                                  " exit", " !"]


def test_spf_throttle_at_frr_defaults_is_left_out(good):
    good["ospf"]["spf_throttle"] = {"delay": 0, "initial_hold": 50, "max_hold": 5000}
    assert "timers throttle" not in render.frr_conf(model.build(good))


def test_masked_output_has_no_key(good):
    text = render.frr_conf(model.build(good), masked=True)
    assert "s3cret" not in text and "ripkey" not in text
    assert " ip ospf message-digest-key 1 md5 ********" in text
    assert "  key-string ********" in text


def test_mask_catches_text_keys_too():
    text = " ip ospf authentication-key abc\n ip rip authentication string xyz\n"
    assert "abc" not in render.mask(text) and "xyz" not in render.mask(text)


def test_daemons_file_runs_every_managed_daemon_or_none(good):
    present = render.daemons_file(model.build(good))
    for d in render.MANAGED_DAEMONS:
        assert "%s=yes" % d in present
    assert "bgpd=no" in present
    assert "=yes" not in render.daemons_file(None).replace("vtysh_enable=yes", "")


def test_rendering_is_deterministic(good):
    assert render.frr_conf(model.build(good)) == render.frr_conf(model.build(good))


def test_tunnel_interface_leaves_point_to_point_to_frr(conf):
    """A tunnel is a point-to-point device, where FRR defaults to that network type and omits the line
    from its running config: written out it would read as drift on every run."""
    assert block(conf, "interface wg0") == [" ip ospf area 0.0.0.1"]
    assert "point-to-point" in block(conf, "interface lk-a18")[-2]
