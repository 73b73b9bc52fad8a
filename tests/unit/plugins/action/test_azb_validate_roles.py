"""azb_validate_roles checks each named role's variables against that role's own argument spec in
one task: run through Ansible itself (ad hoc, on localhost, the collection from this tree), as the
site role runs it."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)


def validate(tmp_path, roles, *extra_vars):
    coll = tmp_path / "collections" / "ansible_collections" / "azblink"
    coll.mkdir(parents=True)
    os.symlink(ROOT, coll / "nfv")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    argv = [os.path.join(BIN, "ansible"), "localhost", "-m", "azblink.nfv.azb_validate_roles",
            "-a", json.dumps({"roles": roles})]
    for ev in extra_vars:
        argv += ["-e", json.dumps(ev)]
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    out = json.loads(res.stdout[res.stdout.index("{"):])
    return res.returncode, out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_good_variables_pass_for_every_role_named(tmp_path):
    rc, host = validate(tmp_path, ["wan", "azblink.nfv.pki"], {"azb_wan_mode": "balance", "azb_wans": []})
    assert rc == 0, host
    assert host["validated_roles"] == ["azblink.nfv.wan", "azblink.nfv.pki"]
    assert not host.get("failed")


def test_each_bad_variable_is_named_with_its_role(tmp_path):
    rc, host = validate(tmp_path, ["wan", "vpn", "workloads"],
                        {"azb_wan_mode": "sideways", "azb_vms": "not a list", "azb_vpn_tunnels": [{"name": "t"}]})
    assert rc != 0 and host["failed"]
    errors = host["argument_errors"]
    assert any(e.startswith("azblink.nfv.wan: ") and "azb_wan_mode" in e for e in errors), errors
    assert any(e.startswith("azblink.nfv.workloads: ") and "azb_vms" in e for e in errors), errors
    assert "none of these roles has run" in host["msg"]


@pytest.mark.parametrize("roles, said", [(["nosuchrole"], "no role 'nosuchrole'"), ("wan", "expected a list")])
def test_an_unknown_role_or_a_bad_list_is_refused(tmp_path, roles, said):
    rc, host = validate(tmp_path, roles)
    assert rc != 0 and said in host["msg"], host
