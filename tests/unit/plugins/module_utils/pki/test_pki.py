"""azb_ca's logic: validation with field paths, planning, issuing, renewal, revocation, CRL, files."""
import datetime
import os
import shutil
import stat
import subprocess

import pytest
from cryptography import x509

from ansible_collections.azblink.nfv.plugins.module_utils.pki import ca as pki
from ansible_collections.azblink.nfv.plugins.module_utils.pki import model, report, store
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 1, tzinfo=UTC)


def params(**kw):
    base = {"ca": {"common_name": "Test CA", "validity_days": 3650},
            "certificates": [{"name": "vpn-server", "usage": "server", "sans": ["vpn.example.net", "192.0.2.2"]},
                             {"name": "alice"}],
            "revoke": [], "renew_before_days": 30, "crl_validity_days": 30}
    base.update(kw)
    return base


def converge(path, p, now=NOW):
    spec = model.validate(p)
    state = store.load(str(path))
    plan = pki.plan(spec, state, now)
    if plan.changed:
        store.save(str(path), pki.execute(plan, spec, state, now), plan)
    return plan, store.load(str(path))


BAD = [
    ({"ca": {}}, "ca.common_name", "is required"),
    ({"ca": {"common_name": "x", "key_type": "dsa"}}, "ca.key_type", "not one of"),
    ({"ca": {"common_name": "x", "key_type": "rsa", "key_size": 1024}}, "ca.key_size", "RSA key size"),
    ({"certificates": [{"name": "a"}, {"name": "a"}]}, "certificates[1].name", "already used"),
    ({"certificates": [{"name": "bad name"}]}, "certificates[0].name", "not a valid name"),
    ({"certificates": [{"name": "a", "sans": ["IP:300.1.1.1"]}]}, "certificates[0].sans[0]", "not an IP"),
    ({"certificates": [{"name": "a", "sans": ["bad_dns!"]}]}, "certificates[0].sans[0]", "not a DNS name"),
    ({"certificates": [{"name": "a", "usage": "both"}]}, "certificates[0].usage", "not one of"),
    ({"certificates": [{"name": "a", "validity_days": 9999}]}, "certificates[0].validity_days", "outlives the CA"),
    ({"certificates": [{"name": "a"}], "revoke": ["a"]}, "revoke[0]", "either issued or revoked"),
    ({"certificates": [{"name": "a", "validity_days": 20}]}, "renew_before_days", "renew on every run"),
    ({"crl_validity_days": 0}, "crl_validity_days", "out of range"),
]


@pytest.mark.parametrize("override,path,reason", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_input_is_rejected_with_its_field_path(override, path, reason):
    with pytest.raises(SpecError) as err:
        model.validate(params(**override))
    assert err.value.path == path
    assert reason in str(err.value)
    assert str(err.value).startswith(path + ": ")


def test_sans_are_normalised():
    spec = model.validate(params())
    assert spec.certificates[0].sans == ["DNS:vpn.example.net", "IP:192.0.2.2"]


def test_first_run_creates_ca_and_certs_second_run_issues_nothing(tmp_path):
    plan, st = converge(tmp_path, params())
    assert plan.create_ca and sorted(n for n, dummy_reason in plan.issue) == ["alice", "vpn-server"]
    assert pki.issued_by(st.certs["alice"], st.ca_cert)
    assert pki.cert_usage(st.certs["vpn-server"]) == "server"
    assert pki.cert_sans(st.certs["vpn-server"]) == ["DNS:vpn.example.net", "IP:192.0.2.2"]
    assert st.crl is not None and st.crl.is_signature_valid(st.ca_cert.public_key())
    again, dummy_pubs = converge(tmp_path, params(), NOW + datetime.timedelta(days=1))
    assert not again.changed, (again.issue, again.crl)


def test_private_keys_are_0600_and_private_dir_0700(tmp_path):
    converge(tmp_path, params())
    for f in ["ca.key", "private/alice.key", "private/vpn-server.key"]:
        assert stat.S_IMODE(os.stat(tmp_path / f).st_mode) == 0o600, f
    assert stat.S_IMODE(os.stat(tmp_path / "private").st_mode) == 0o700


def test_parameter_change_renews_only_that_certificate(tmp_path):
    dummy_plan, st1 = converge(tmp_path, params())
    p = params()
    p["certificates"][0]["sans"] = ["vpn.example.net"]
    plan, st2 = converge(tmp_path, p)
    assert [n for n, dummy_reason in plan.issue] == ["vpn-server"] and "SANs changed" in plan.issue[0][1]
    assert st2.certs["alice"].serial_number == st1.certs["alice"].serial_number
    assert st2.certs["vpn-server"].serial_number != st1.certs["vpn-server"].serial_number


def test_expiry_window_renews(tmp_path):
    converge(tmp_path, params())
    later = NOW + datetime.timedelta(days=825 - 29)
    plan, dummy_pubs = converge(tmp_path, params(), later)
    assert sorted(n for n, dummy_reason in plan.issue) == ["alice", "vpn-server"]
    assert "renewal window" in plan.issue[0][1]


def test_rsa_ca_and_key_type_change(tmp_path):
    p = params(ca={"common_name": "RSA CA", "key_type": "rsa", "key_size": 2048})
    dummy_plan, st = converge(tmp_path, p)
    assert pki.key_describe(st.ca_cert.public_key()) == "rsa-2048"
    p["certificates"][1]["key_type"] = "ecdsa"
    plan, st = converge(tmp_path, p)
    assert [n for n, dummy_reason in plan.issue] == ["alice"]
    assert pki.key_describe(st.certs["alice"].public_key()) == "ecdsa-p256"
    assert pki.issued_by(st.certs["alice"], st.ca_cert)


def test_revoke_lists_serial_in_crl_and_removes_files(tmp_path):
    dummy_plan, st = converge(tmp_path, params())
    serial = st.certs["alice"].serial_number
    p = params(certificates=[{"name": "vpn-server", "usage": "server"}], revoke=["alice"])
    p["certificates"][0]["sans"] = ["vpn.example.net", "192.0.2.2"]
    plan, st = converge(tmp_path, p)
    assert plan.revoke == [("alice", serial)] and plan.crl == "revocations"
    assert st.crl.get_revoked_certificate_by_serial_number(serial) is not None
    assert not (tmp_path / "private/alice.key").exists() and "alice" not in st.certs
    assert (tmp_path / ("revoked/%d.crt" % serial)).exists()
    again, dummy_pubs = converge(tmp_path, p)
    assert not again.changed


def test_crl_is_resigned_when_half_its_validity_passed(tmp_path):
    converge(tmp_path, params())
    plan, dummy_pubs = converge(tmp_path, params(), NOW + datetime.timedelta(days=16))
    assert plan.crl == "next update due" and not plan.issue


def test_expired_ca_is_refused_before_anything_changes(tmp_path):
    converge(tmp_path, params(ca={"common_name": "Short CA", "validity_days": 100},
                              certificates=[{"name": "a", "validity_days": 50}]))
    before = sorted(os.listdir(tmp_path / "certs"))
    with pytest.raises(SpecError) as err:
        converge(tmp_path, params(ca={"common_name": "Short CA", "validity_days": 100},
                                  certificates=[{"name": "a", "validity_days": 50}, {"name": "b", "validity_days": 50}]),
                 NOW + datetime.timedelta(days=101))
    assert err.value.path == "ca" and "expired" in str(err.value)
    assert sorted(os.listdir(tmp_path / "certs")) == before


def test_diff_shows_subjects_never_keys(tmp_path):
    spec = model.validate(params())
    state = store.load(str(tmp_path))
    plan = pki.plan(spec, state, NOW)
    d = report.diff(spec, state, plan, str(tmp_path))
    assert d["before"] == "\n"
    assert "certificate alice: CN=alice usage=client key=ecdsa-p256 validity=825d SAN=-" in d["after"]
    converge(tmp_path, params())
    state = store.load(str(tmp_path))
    plan = pki.plan(spec, state, NOW)
    d = report.diff(spec, state, plan, str(tmp_path))
    assert d["before"] == d["after"]
    assert "PRIVATE" not in d["before"] + d["after"]
    inv = report.inventory(str(tmp_path), state)
    assert "PRIVATE" not in repr(inv) and inv["certificates"]["alice"]["usage"] == "client"


def test_certificates_verify_with_openssl_and_crl(tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl binary not installed on this host")
    dummy_plan, st = converge(tmp_path, params(), pki.utcnow())
    ok = subprocess.run([openssl, "verify", "-crl_check", "-CAfile", str(tmp_path / "ca.crt"),
                         "-CRLfile", str(tmp_path / "crl.pem"), str(tmp_path / "certs/alice.crt")],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    p = params(certificates=[{"name": "vpn-server", "usage": "server", "sans": ["vpn.example.net", "192.0.2.2"]}],
               revoke=["alice"])
    shutil.copy(tmp_path / "certs/alice.crt", tmp_path / "alice-copy.crt")
    converge(tmp_path, p, pki.utcnow())
    bad = subprocess.run([openssl, "verify", "-crl_check", "-CAfile", str(tmp_path / "ca.crt"),
                          "-CRLfile", str(tmp_path / "crl.pem"), str(tmp_path / "alice-copy.crt")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "revoked" in (bad.stdout + bad.stderr)
    cert = st.certs["vpn-server"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert st.ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
