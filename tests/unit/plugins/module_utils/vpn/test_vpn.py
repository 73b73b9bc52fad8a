"""azb_vpn's logic: the model (field paths), the pure renderers, and plan/apply against a fake box."""
import copy
import os

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import engine, model, render
from ansible_collections.azblink.nfv.plugins.module_utils.vpn.adapter import System

KA = "kXb1aVzeI8pSNrsvaH8M5m1p0pFqMEkp3a1pU4fH5FI="
KB = "q3W2t5TG9xZjN7a0kDMYdDsaP0dKnnxUzuTgY3cZ3nM="
KC = "HtP8yvQ5DGYeDQyN0Q3z6z8pQ0Fk5vX1G2h3J4k5L6M="
ZONES_A = [{"name": "office", "bridge": "br3", "role": "trusted", "address": "10.13.0.1/24"},
           {"name": "lab", "bridge": "br1", "role": "restricted", "address": "10.11.0.1/24"}]
ZONES_B = [{"name": "office", "bridge": "br3", "role": "trusted", "address": "10.23.0.1/24"}]


def tunnels():
    return [
        {"name": "wgs2s", "type": "wireguard", "network": "10.99.0.0/24", "port": 51820, "table": 200,
         "peers": [{"name": "site-a", "address": "10.99.0.1", "endpoint": "192.0.2.58"},
                   {"name": "site-b", "address": "10.99.0.2", "endpoint": "192.0.2.66:51820"},
                   {"name": "hq", "address": "10.99.0.9", "public_key": KC, "networks": ["10.50.0.0/16"]}]},
        {"name": "wgrw", "network": "10.98.0.0/24", "port": 51821,
         "peers": [{"name": "site-a", "address": "10.98.0.1", "endpoint": "192.0.2.58"}],
         "clients": [{"name": "phone", "address": "10.98.0.10"}]},
        {"name": "ovpn", "type": "openvpn", "network": "10.97.0.0/24", "certificate": "vpn-server",
         "peers": [{"name": "site-a", "address": "10.97.0.1", "endpoint": "192.0.2.58"}],
         "clients": [{"name": "alice", "address": "10.97.0.10", "certificate": "alice"}]},
    ]


def ctx(**kw):
    base = {"host": "site-a", "zones": ZONES_A,
            "play_hosts": {"site-a": {"public_keys": {"wgs2s": KA}, "zones": ZONES_A},
                           "site-b": {"public_keys": {"wgs2s": KB}, "zones": ZONES_B}},
            "deployed": {}, "certificates": {"vpn-server", "alice"}}
    base.update(kw)
    return base


def edit(fn):
    t = tunnels()
    fn(t)
    return t


BAD = [
    (edit(lambda t: t[0]["peers"].append({"name": "x", "address": "10.99.0.20"})), {},
     "tunnels[0].peers[3]", "peer 'x' is neither in the play nor declared"),
    (edit(lambda t: t[1].update(network="10.99.0.128/25")), {}, "tunnels[1].network", "overlaps tunnels[0]"),
    (edit(lambda t: t[2]["clients"][0].pop("certificate")), {}, "tunnels[2].clients[0].certificate",
     "has no certificate"),
    (edit(lambda t: t[2]["clients"][0].update(certificate="bob")), {}, "tunnels[2].clients[0].certificate",
     "not in the CA"),
    (edit(lambda t: t[0]["peers"][1].update(address="10.98.0.2")), {}, "tunnels[0].peers[1].address",
     "not a usable address"),
    (edit(lambda t: t[0]["peers"][1].update(address="10.99.0.1")), {}, "tunnels[0].peers[1].address",
     "already used"),
    (edit(lambda t: t[0]["peers"][2].update(public_key="nope")), {}, "tunnels[0].peers[2].public_key",
     "not a WireGuard public key"),
    (edit(lambda t: t[0]["peers"][2].update(networks=["10.23.0.0/16"])), {}, "tunnels[0].peers", "overlap"),
    (edit(lambda t: t[0]["peers"][0].update(zones=["dmz"])), {}, "tunnels[0].peers[0].zones[0]",
     "zone 'dmz' is not a zone"),
    (edit(lambda t: t[1].update(port=51820)), {}, "tunnels[1].port", "already used"),
    (edit(lambda t: t[1].update(name="wgs2s")), {}, "tunnels[1].name", "already used"),
    (edit(lambda t: t[1].update(name="This-Is-Way-Too-Long")), {}, "tunnels[1].name", "not a valid interface"),
    (edit(lambda t: t[0].update(network="10.99.0.1/24")), {}, "tunnels[0].network", "not a network"),
    (edit(lambda t: t[0].update(table=254)), {}, "tunnels[0].table", "reserved"),
    (edit(lambda t: t[2]["peers"].append({"name": "site-b", "address": "10.97.0.2"})), {}, "tunnels[2].peers",
     "client-to-site"),
    (edit(lambda t: t[1]["peers"][0].pop("endpoint")), {}, "tunnels[1].peers[0].endpoint", "public endpoint"),
    (tunnels(), {"play_hosts": {"site-b": {"public_keys": {}, "zones": ZONES_B}}}, "tunnels[0].peers[1]",
     "no WireGuard key yet"),
]


@pytest.mark.parametrize("tun,over,path,reason", BAD, ids=["%s:%s" % (b[2], b[3]) for b in BAD])
def test_bad_input_names_the_field_path(tun, over, path, reason):
    with pytest.raises(SpecError) as err:
        model.validate({"tunnels": tun}, ctx(**over))
    assert err.value.path == path, str(err.value)
    assert reason in str(err.value)
    assert str(err.value).startswith(path + ": ")


def test_peers_from_play_zones_and_declared():
    ts = model.validate({"tunnels": tunnels()}, ctx())
    s2s = ts[0]
    assert s2s.address == "10.99.0.1/24" and s2s.local_networks == ["10.13.0.0/24"]
    b, hq = s2s.peers
    assert (b.name, b.public_key, b.endpoint, b.managed) == ("site-b", KB, "192.0.2.66:51820", True)
    assert b.allowed_ips == ["10.99.0.2/32", "10.23.0.0/24"]
    assert hq.allowed_ips == ["10.99.0.9/32", "10.50.0.0/16"] and not hq.managed
    assert s2s.routes() == ["10.23.0.0/24", "10.50.0.0/16"]
    assert s2s.routing_table == 200 and ts[1].routing_table == "main"


def test_tunnels_without_this_host_are_skipped():
    ts = model.validate({"tunnels": tunnels()}, ctx(host="site-b", zones=ZONES_B))
    assert [t.name for t in ts] == ["wgs2s"]
    assert [p.name for p in ts[0].peers] == ["site-a", "hq"]


def test_limit_run_keeps_peers_from_what_is_deployed():
    first = model.validate({"tunnels": tunnels()}, ctx())[0]
    deployed = {"wgs2s": dict((p.name, p.record()) for p in first.peers if p.managed)}
    limited = model.validate({"tunnels": tunnels()}, ctx(play_hosts={"site-a": {"public_keys": {}, "zones": ZONES_A}},
                                                         deployed=deployed))[0]
    assert [(p.name, p.public_key, p.allowed_ips) for p in limited.peers] == \
        [(p.name, p.public_key, p.allowed_ips) for p in first.peers]


def test_check_mode_before_the_first_run_plans_with_a_pending_key():
    play = {"site-b": {"public_keys": {}, "zones": ZONES_B}}
    ts = model.validate({"tunnels": tunnels()}, ctx(play_hosts=play, check_mode=True))
    assert ts[0].peers[0].public_key == "(generated on apply)"


def test_revoked_client_is_left_out():
    ts = model.validate({"tunnels": tunnels()}, ctx(revoked={"alice"}, certificates={"vpn-server"}))
    assert ts[2].clients == []


PATHS = render.Paths("/etc/azblink/vpn", "/etc/azblink/vpn/export")


def test_wireguard_renders_conf_unit_routes_and_client_without_secrets():
    s2s, rw = model.validate({"tunnels": tunnels()}, ctx())[:2]
    conf = render.wg_conf(s2s, PATHS)
    assert "PrivateKey = {{secret:/etc/azblink/vpn/wgs2s/private.key}}" in conf
    assert "ListenPort = 51820" in conf
    assert "# peer site-b (appliance)\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.99.0.2/32, 10.23.0.0/24\n" \
           "Endpoint = 192.0.2.66:51820\nPersistentKeepalive = 25" % KB in conf
    unit = render.wg_unit(s2s, PATHS, "wireguard-go")
    assert "ExecStart=/usr/bin/wireguard-go wgs2s" in unit and "WantedBy=multi-user.target" in unit
    assert "ExecReload=/usr/bin/wg syncconf wgs2s /etc/azblink/vpn/wgs2s/wg.conf" in unit
    assert "ip link add wgs2s type wireguard" in render.wg_unit(s2s, PATHS, "kernel")
    assert render.route_lines(s2s, "wgs2s") == [
        "route replace 10.23.0.0/24 dev wgs2s", "route replace 10.50.0.0/16 dev wgs2s",
        "route replace 10.99.0.0/24 dev wgs2s table 200", "route replace 10.23.0.0/24 dev wgs2s table 200",
        "route replace 10.50.0.0/16 dev wgs2s table 200"]
    client = render.wg_client_conf(rw, rw.clients[0], PATHS)
    assert "Address = 10.98.0.10/32" in client and "Endpoint = 192.0.2.58:51821" in client
    assert "AllowedIPs = 10.98.0.0/24, 10.13.0.0/24" in client
    server = render.wg_conf(rw, PATHS)
    assert "PublicKey = {{pubkey:/etc/azblink/vpn/wgrw/clients/phone.key}}\nAllowedIPs = 10.98.0.10/32" in server


def test_openvpn_renders_crl_tls_crypt_static_addresses_and_bundle():
    ov = model.validate({"tunnels": tunnels()}, ctx())[2]
    conf = render.ovpn_server_conf(ov, PATHS)
    for line in ["crl-verify /etc/azblink/pki/crl.pem", "tls-crypt /etc/azblink/vpn/ovpn/tls-crypt.key",
                 "cert /etc/azblink/pki/certs/vpn-server.crt", "remote-cert-tls client",
                 "push \"route 10.13.0.0 255.255.255.0\"", "ifconfig 10.97.0.1 255.255.255.0", "port 1194"]:
        assert line in conf.splitlines(), line
    assert render.ovpn_ccd(ov, ov.clients[0]) == "# client alice\nifconfig-push 10.97.0.10 255.255.255.0\n"
    bundle = render.ovpn_bundle(ov, ov.clients[0], PATHS)
    assert "remote 192.0.2.58 1194" in bundle and "{{secret:/etc/azblink/pki/private/alice.key}}" in bundle
    a = [x for x in render.artifacts(ov, PATHS) if x.path.endswith(".ovpn")][0]
    assert a.mode == 0o600 and "(secret)" in a.redacted() and "{{secret" not in a.redacted()


def test_ipsec_renders_swanctl_with_certificates_and_xfrm_interface():
    t = {"name": "ips", "type": "ipsec", "network": "10.96.0.0/30", "table": 300, "certificate": "site-a",
         "peers": [{"name": "site-a", "endpoint": "192.0.2.58"},
                   {"name": "site-b", "endpoint": "192.0.2.66", "certificate": "site-b", "zones": ["office"]}]}
    ips = model.validate({"tunnels": [t]}, ctx(certificates={"site-a"}))[0]
    conf = render.swanctl_conf(ips, PATHS)
    for line in ["local_addrs = 192.0.2.58", "remote_addrs = 192.0.2.66", "certs = site-a.crt",
                 'id = "CN=site-b"', "local_ts = 10.13.0.0/24", "remote_ts = 10.23.0.0/24", "if_id_in = 300",
                 "auth = pubkey", "start_action = start", "dpd_action = restart", "unique = replace"]:
        assert line in [x.strip() for x in conf.splitlines()], line
    assert conf.count("{") == conf.count("}")
    other = model.validate({"tunnels": [t]}, ctx(host="site-b", zones=ZONES_B, certificates={"site-a", "site-b"}))[0]
    assert "start_action = none" in render.swanctl_conf(other, PATHS)  # site-b responds, site-a initiates
    unit = render.ipsec_unit(ips, PATHS)
    assert "ip link add ips type xfrm if_id 300" in unit
    assert "ExecStart=/sbin/ip route replace 10.23.0.0/24 dev ips table 300" in unit
    with pytest.raises(SpecError) as err:
        model.validate({"tunnels": [dict(t, certificate=None, peers=[dict(t["peers"][0]), t["peers"][1]])]},
                       ctx(certificates={"site-a"}))
    assert err.value.path == "tunnels[0].certificate"


def arts_kind(t):
    return [a for a in render.artifacts(t, PATHS) if a.path.startswith("/etc/strongswan.d/")][0].kind


def test_ipsec_libipsec_backend_uses_esp_in_udp_and_strongswans_tun_device():
    t = {"name": "ips", "type": "ipsec", "network": "10.96.0.0/30", "table": 300,
         "peers": [{"name": "site-a", "endpoint": "192.0.2.58", "certificate": "site-a"},
                   {"name": "site-b", "endpoint": "192.0.2.66", "certificate": "site-b", "zones": ["office"]}]}
    ips = model.validate({"tunnels": [t]}, ctx(certificates={"site-a"}))[0]
    ips.backend = "libipsec"
    conf = render.swanctl_conf(ips, PATHS)
    assert "encap = yes" in conf and "if_id" not in conf and 'id = "CN=site-a"' in conf
    unit = render.ipsec_unit(ips, PATHS)
    assert "type xfrm" not in unit and "Requires=strongswan.service" in unit
    assert arts_kind(ips) == "daemon:strongswan.service"
    assert "ExecStart=/sbin/ip route replace 10.23.0.0/24 dev ipsec0 table 300" in unit
    arts = dict((a.path, a) for a in render.artifacts(ips, PATHS))
    assert arts["/etc/strongswan.d/zz-azb-libipsec.conf"].content.count("load = yes") == 2
    key = arts["/etc/swanctl/private/site-a.key"]
    assert key.mode == 0o600 and key.redacted() == "(secret)\n"
    assert arts["/etc/swanctl/x509/site-a.crt"].content == "{{file:/etc/azblink/pki/certs/site-a.crt}}\n"


class FakeBox(System):
    """A box in a temporary directory: real files, fake commands (wg keys, systemctl)."""

    def __init__(self, root):
        super(FakeBox, self).__init__(self._cmd)
        self.root = root
        self.calls = []
        self.active = set()
        self.enabled = set()
        self.n = 0

    def _cmd(self, argv, data=None):
        self.calls.append(argv)
        if argv[:2] == ["wg", "genkey"]:
            self.n += 1
            return 0, "PRIVATE%02d\n" % self.n, ""
        if argv[:2] == ["wg", "pubkey"]:
            return 0, "pub-of-key-" + data.strip()[-2:], ""
        if argv[0] == "systemctl":
            if argv[1] in ("restart", "reload"):
                self.active.add(argv[2])
            if argv[1] == "enable":
                self.enabled.add(argv[2])
            return 0, "", ""
        if argv[0] == "openvpn":
            with open(argv[-1], "w") as f:
                f.write("TLSCRYPTSECRET\n")
            return 0, "", ""
        return 0, "", ""

    def unit_active(self, unit):
        return unit in self.active

    def unit_enabled(self, unit):
        return unit in self.enabled

    def link_exists(self, name):
        return any(u == "azb-vpn-%s.service" % name for u in self.active)

    def qrencode(self, src, dest):
        with open(dest, "w") as f:
            f.write("png")
        return True


def box_paths(tmp_path):
    return render.Paths(str(tmp_path / "vpn"), str(tmp_path / "export"), str(tmp_path / "units"),
                        str(tmp_path / "pki"), str(tmp_path / "swanctl"))


def converge(box, paths, tun, c):
    ts = model.validate({"tunnels": tun}, c)
    created, pubs = engine.ensure_keys(ts, paths, box, False)
    p = engine.plan(ts, paths, box, "wireguard-go")
    p.keys_created = created
    if p.changed:
        engine.apply(p, box, ts)
    return p, pubs


def test_apply_then_second_run_changes_nothing_and_secrets_stay_out_of_diff(tmp_path):
    box, paths = FakeBox(str(tmp_path)), box_paths(tmp_path)
    os.makedirs(str(tmp_path / "pki"))
    tun = tunnels()[:2]
    p, pubs = converge(box, paths, tun, ctx())
    assert p.changed and pubs["wgs2s"] == "pub-of-key-01"
    d = engine.diff(p)
    assert "PRIVATE" not in d["after"] + d["before"] and "PrivateKey = (secret)" in d["after"]
    assert oct(os.stat(paths.key(model.validate({"tunnels": tun}, ctx())[0])).st_mode & 0o777) == "0o600"
    conf = open(str(tmp_path / "vpn/wgs2s/wg.conf")).read()
    assert "PrivateKey = PRIVATE01" in conf
    assert (tmp_path / "export/wgrw/phone.conf").exists() and (tmp_path / "export/wgrw/phone.png").exists()
    assert {"azb-vpn-wgs2s.service", "azb-vpn-wgrw.service"} <= box.enabled
    box.calls = []
    again, dummy_pubs = converge(box, paths, tun, ctx())
    assert not again.changed
    assert box.calls and all(c[:2] == ["wg", "pubkey"] for c in box.calls), box.calls  # read-only


def test_peer_change_reloads_only_its_tunnel(tmp_path):
    box, paths = FakeBox(str(tmp_path)), box_paths(tmp_path)
    tun = tunnels()[:2]
    converge(box, paths, tun, ctx())
    tun2 = copy.deepcopy(tun)
    tun2[0]["peers"][2]["networks"] = ["10.60.0.0/16"]
    box.calls = []
    p, dummy_pubs = converge(box, paths, tun2, ctx())
    assert p.actions == {"wgs2s": "reload"}
    sysd = [c for c in box.calls if c[0] == "systemctl"]
    assert sysd == [["systemctl", "reload", "azb-vpn-wgs2s.service"]]


def test_removed_tunnel_and_client_are_cleaned_up(tmp_path):
    box, paths = FakeBox(str(tmp_path)), box_paths(tmp_path)
    tun = tunnels()[:2]
    converge(box, paths, tun, ctx())
    p, dummy_pubs = converge(box, paths, tun[:1], ctx())
    assert p.stale_units == ["azb-vpn-wgrw.service"]
    assert ["systemctl", "disable", "--now", "azb-vpn-wgrw.service"] in box.calls
    assert not (tmp_path / "vpn/wgrw").exists() and not (tmp_path / "export/wgrw").exists()


def test_rendered_state_has_placeholders_not_keys():
    ts = model.validate({"tunnels": tunnels()}, ctx())
    out = engine.rendered(ts, PATHS, "wireguard-go")
    assert "PrivateKey = (secret)" in out["/etc/azblink/vpn/wgs2s/wg.conf"]
    assert "(public key of /etc/azblink/vpn/wgrw/private.key)" in out["/etc/azblink/vpn/export/wgrw/phone.conf"]
    assert all("{{" not in v for v in out.values())
