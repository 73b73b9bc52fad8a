"""playbooks/awx_bootstrap.yml against a stand-in for AWX's API (fake_awx: no AWX server runs
here; it needs no lab either, but takes a minute, so it runs with the fleet scenario). The
requests it renders are checked - per tenant the organization, project, inventory and its source,
credential, four job templates and the rollout workflow with its approval node - and a second run
must send no write at all. The tenants' SSH keys reach the API, never the output."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_awx  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")))
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE-SECRET-KEY-acme\n-----END OPENSSH PRIVATE KEY-----"
VARS = """
azb_awx_validate_certs: false
azb_awx_token: test-token
azb_awx_tenants:
  - {name: acme, inventory_path: inventories/example, limit: tenant_acme, ssh_key: "%s"}
  - {name: globex, inventory_path: inventories/example, limit: tenant_globex, ssh_key: "FAKE-SECRET-KEY-globex"}
""" % KEY.replace("\n", "\\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    server, store, url = fake_awx.serve()
    varfile = tmp_path_factory.mktemp("awx") / "vars.yml"
    varfile.write_text(VARS)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0")
    out = []
    for _run in range(2):
        store.requests.clear()
        res = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                              os.path.join(ROOT, "playbooks", "awx_bootstrap.yml"), "-e", "@%s" % varfile,
                              "-e", "azb_awx_host=" + url], env=env, capture_output=True, text=True,
                             timeout=600, check=False)
        out.append((res.returncode, res.stdout + res.stderr, list(store.requests)))
    server.shutdown()
    return out, store


def _posts(requests, path):
    return [body for method, p, _query, body in requests if method == "POST" and p == path]


def test_the_first_run_creates_each_tenants_objects(runs):
    rc, out, requests = runs[0][0]
    assert rc == 0, out[-3000:]
    assert sorted(o["name"] for o in _posts(requests, "/api/v2/organizations/")) == ["acme", "globex"]
    projects = _posts(requests, "/api/v2/projects/")
    assert [p["scm_type"] for p in projects] == ["git", "git"]
    sources = _posts(requests, "/api/v2/inventory_sources/")
    assert [(s["source"], s["source_path"]) for s in sources] == [("scm", "inventories/example")] * 2
    ctype = _posts(requests, "/api/v2/credential_types/")[0]
    assert ctype["injectors"]["extra_vars"]["ansible_ssh_private_key_file"] == "{{ tower.filename.ssh_key }}"
    creds = _posts(requests, "/api/v2/credentials/")
    assert creds[0]["inputs"]["ssh_key"] == KEY, "the key must reach AWX"


def test_job_templates_drift_in_check_mode_with_diff(runs):
    (_rc, _out, requests), store = runs[0][0], runs[1]
    jts = dict((j["name"], j) for j in _posts(requests, "/api/v2/job_templates/"))
    assert sorted(jts) == sorted("%s %s" % (t, n) for t in ("acme", "globex")
                                 for n in ("converge", "drift", "rollback", "rollout"))
    assert jts["acme drift"]["job_type"] == "check" and jts["acme drift"]["diff_mode"] is True
    assert jts["acme converge"]["job_type"] == "run" and jts["acme converge"]["playbook"] == "playbooks/site.yml"
    assert jts["globex rollout"]["limit"] == "tenant_globex"
    for jt in store.items["job_templates"].values():
        assert len(jt["_assoc"]["credentials"]) == 1, jt["name"]


def test_the_rollout_workflow_waits_for_an_approval(runs):
    (_rc, _out, requests), store = runs[0][0], runs[1]
    assert sorted(w["name"] for w in _posts(requests, "/api/v2/workflow_job_templates/")) == [
        "acme rollout with approval", "globex rollout with approval"]
    nodes = dict((n["id"], n) for n in store.items["workflow_job_template_nodes"].values())
    by_ident = dict(((n["workflow_job_template"], n["identifier"]), n) for n in nodes.values())
    approvals = store.items["workflow_approval_templates"]
    for wf in store.items["workflow_job_templates"].values():
        drift, approve, rollout = (by_ident[(wf["id"], i)] for i in ("drift", "approve", "rollout"))
        assert drift["_assoc"]["always_nodes"] == [approve["id"]]
        assert approve["_assoc"]["success_nodes"] == [rollout["id"]]
        assert approvals[approve["unified_job_template"]]["timeout"] == 86400
        assert store.items["job_templates"][rollout["unified_job_template"]]["playbook"] == "playbooks/rollout.yml"


def test_a_second_run_writes_nothing(runs):
    rc, out, requests = runs[0][1]
    assert rc == 0, out[-3000:]
    assert [(m, p) for m, p, _query, _body in requests if m != "GET"] == []


def test_no_key_in_the_output(runs):
    for _rc, out, _requests in runs[0]:
        assert "FAKE-SECRET-KEY" not in out


def test_the_execution_environment_definition_builds_a_context(tmp_path):
    """ansible-builder v3 accepts execution-environment.yml and writes a build context that installs
    this collection (from the tarball `make build` writes) with its Python requirements."""
    work = tmp_path / "ee"
    work.mkdir()
    bindir = os.path.dirname(sys.executable)
    res = subprocess.run([os.path.join(bindir, "ansible-galaxy"), "collection", "build", "--force",
                          "--output-path", str(work / "build"), ROOT], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    for name in ("execution-environment.yml",):
        (work / name).write_text(open(os.path.join(ROOT, name)).read())
    (work / "meta").mkdir()
    for name in ("ee-requirements.txt", "ee-bindep.txt"):
        (work / "meta" / name).write_text(open(os.path.join(ROOT, "meta", name)).read())
    res = subprocess.run([os.path.join(bindir, "ansible-builder"), "create", "-f", str(work / "execution-environment.yml"),
                          "-c", str(work / "context")], capture_output=True, text=True, check=False, cwd=str(work))
    assert res.returncode == 0, res.stdout + res.stderr
    dockerfile = (work / "context" / "Dockerfile").read_text()
    assert "ansible-galaxy collection install" in dockerfile
    assert "ansible-doc -t callback azblink.nfv.fleet_report" in dockerfile
    assert (work / "context" / "_build" / "build-collection").iterdir()
    assert "cryptography" in (work / "context" / "_build" / "requirements.txt").read_text()
    assert "/build/azblink-nfv.tar.gz" in (work / "context" / "_build" / "requirements.yml").read_text()
