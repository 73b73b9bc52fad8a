"""What a module echoes back of its arguments: long text by length and hash, secrets left to Ansible."""
import hashlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.azblink.nfv.plugins.module_utils import audit, echo


def test_long_text_is_echoed_by_length_and_hash_short_text_whole():
    program = "#!/usr/bin/python3\n" + "x" * 5000
    params = {"mode": "failover", "prerequisites": {"files": [{"path": "/usr/local/bin/h", "content": program,
                                                               "mode": "0755"}]},
              "wans": [{"name": "isp1", "weight": 2}]}
    out = echo.echoed(params)
    assert out["mode"] == "failover" and out["wans"] == [{"name": "isp1", "weight": 2}]
    assert out["prerequisites"]["files"][0] == {
        "path": "/usr/local/bin/h", "mode": "0755",
        "content": "%d characters (sha256 %s)" % (len(program), hashlib.sha256(program.encode()).hexdigest())}
    assert params["prerequisites"]["files"][0]["content"] == program, "the module's own parameters untouched"
    assert echo.echoed("y" * echo.ECHO_CHARS) == "y" * echo.ECHO_CHARS


def test_a_long_secret_is_left_for_ansible_to_mask():
    key = "-----BEGIN PRIVATE KEY-----\n" + "k" * 2000
    assert echo.echoed({"secret_content": key}, {key}) == {"secret_content": key}


def test_an_audited_module_echoes_long_text_compactly_and_masks_secrets(capsys):
    key, program = "K" * 3000, "P" * 3000
    args = dict(content=program, secret=key, _ansible_module_name="azblink.nfv.azb_files")
    with patch_module_args(args):
        module = audit.AuditedModule(argument_spec={"content": {"type": "str"},
                                                    "secret": {"type": "str", "no_log": True}})
        with pytest.raises(SystemExit):
            module.exit_json(changed=False)
    echoed = json.loads(capsys.readouterr().out)["invocation"]["module_args"]
    assert echoed["content"].startswith("3000 characters (sha256 ")
    assert echoed["secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
