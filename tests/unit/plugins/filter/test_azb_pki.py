"""A box's copy of the CA: what azb_files is asked to write, read from the CA's store."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.azblink.nfv.plugins.filter.azb_pki import azb_pki_box_files


def _store(tmp_path, names):
    (tmp_path / "ca.crt").write_text("CA\n")
    (tmp_path / "crl.pem").write_text("CRL\n\n")
    certs = {}
    for name in names:
        (tmp_path / (name + ".crt")).write_text("cert of %s\n" % name)
        (tmp_path / (name + ".key")).write_text("key of %s\n" % name)
        certs[name] = {"cert": str(tmp_path / (name + ".crt")), "key": str(tmp_path / (name + ".key"))}
    return {"ca_cert": str(tmp_path / "ca.crt"), "crl": str(tmp_path / "crl.pem"), "certificates": certs}


def test_the_box_gets_the_ca_its_own_certificates_and_loses_the_revoked(tmp_path):
    ca = dict(_store(tmp_path, ["box1", "alice", "box2"]), revoked=["bob", "alice"])
    files = azb_pki_box_files(ca, ["box1", "alice", "carol"], "/etc/azblink/pki")
    assert [(f["path"], f.get("state"), f.get("mode")) for f in files] == [
        ("/etc/azblink/pki", "directory", "0755"),
        ("/etc/azblink/pki/certs", "directory", "0755"),
        ("/etc/azblink/pki/private", "directory", "0700"),
        ("/etc/azblink/pki/ca.crt", None, None),
        ("/etc/azblink/pki/crl.pem", None, None),
        ("/etc/azblink/pki/certs/alice.crt", None, None),   # issued and pushed, sorted
        ("/etc/azblink/pki/certs/box1.crt", None, None),    # carol: pushed, not issued; box2: not pushed
        ("/etc/azblink/pki/private/alice.key", None, "0600"),
        ("/etc/azblink/pki/private/box1.key", None, "0600"),
        ("/etc/azblink/pki/certs/bob.crt", "absent", None),  # revoked and gone from the CA
        ("/etc/azblink/pki/private/bob.key", "absent", None)]
    assert files[4]["content"] == "CRL\n\n"  # as written: trailing newlines kept
    assert files[6]["content"] == "cert of box1\n"
    # keys travel as secret_content, which azb_files' argument spec masks
    assert files[8] == {"path": "/etc/azblink/pki/private/box1.key", "mode": "0600", "secret_content": "key of box1\n"}
    assert all("content" not in f for f in files if f["path"].endswith(".key"))


def test_a_missing_file_of_the_store_is_named(tmp_path):
    ca = _store(tmp_path, ["box1"])
    (tmp_path / "box1.key").unlink()
    with pytest.raises(AnsibleFilterError, match="private key of 'box1'.*box1.key"):
        azb_pki_box_files(ca, ["box1"], "/etc/azblink/pki")
