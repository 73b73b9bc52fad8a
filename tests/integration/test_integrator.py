"""The lab as the integrators' kit, used the way an integrator uses it (make test runs this file as
the `integrator` scenario, on its own appliance).

Outside the project: build the collection tarball, install it into a scratch collections path, write
a role of one's own (`acme_edge`) that uses our `zones` role ALONE plus a task of its own, with a
Molecule scenario whose create/destroy are the collection's playbooks and whose verify plugs a lab
client in with the collection's lab playbook and sends traffic. Then `molecule test` there. Nothing
of this repository is on the paths the scratch project uses: only the installed tarball.
"""
import os
import shutil
import subprocess
import tempfile
import textwrap

import pytest

APPLIANCES = ["lab-a4"]  # read by tests/run_scenarios.py: this test's lab appliance
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(REPO, ".venv", "bin")

FILES = {
    "meta/main.yml": """\
        ---
        galaxy_info:
          namespace: acme
          role_name: acme_edge
          author: acme
          description: An integrator's edge role on top of azblink.nfv
          license: MIT
          min_ansible_version: "2.16"
          platforms: [{name: Debian, versions: [bookworm]}]
        dependencies: []
        """,
    "tasks/main.yml": """\
        ---
        - name: Converge the box's zones with azblink.nfv (reused alone)
          ansible.builtin.include_role:
            name: azblink.nfv.zones
        - name: Our own task on top
          ansible.builtin.copy:
            dest: /etc/acme-edge.txt
            content: "managed by acme_edge\\n"
            mode: "0644"
        """,
    "molecule/default/molecule.yml": """\
        ---
        driver: {name: default, options: {managed: true}}
        platforms:
          - name: lab-a4
        provisioner:
          name: ansible
          env:
            AZB_LAB_IMAGE: base
            ANSIBLE_ROLES_PATH: ${MOLECULE_PROJECT_DIRECTORY}/..
        verifier:
          name: ansible
        """,
    "molecule/default/create.yml": """\
        ---
        - name: Create
          ansible.builtin.import_playbook: azblink.nfv.molecule_create
        """,
    "molecule/default/destroy.yml": """\
        ---
        - name: Destroy
          ansible.builtin.import_playbook: azblink.nfv.molecule_destroy
        """,
    "molecule/default/converge.yml": """\
        ---
        - name: Converge
          hosts: all
          become: true
          gather_facts: true
          pre_tasks:
            - name: Read the lab's facts for this box (its WAN link)
              ansible.builtin.include_vars:
                file: "{{ lookup('env', 'MOLECULE_EPHEMERAL_DIRECTORY') }}/lab-inventory.yml"
                name: lab
              delegate_to: localhost
          vars:
            wan1: "{{ lab.all.children.azb_lab.hosts[inventory_hostname].azb_lab_wans[0] }}"
            azb_zones:
              - {name: wan, role: wan, bridge: br0, interfaces: [wan1], address: ["{{ wan1.address }}"],
                 gateway: "{{ wan1.gateway }}"}
              - {name: office, role: trusted, bridge: br3, address: [10.3.0.1/24]}
            azb_management_sources: [198.18.0.1/32]
          tasks:
            - name: Our role
              ansible.builtin.include_role:
                name: acme_edge
        """,
    "molecule/default/verify.yml": """\
        ---
        - name: Plug a client into the office zone with the collection's lab tool
          ansible.builtin.import_playbook: azblink.nfv.lab
          vars:
            lab_inventory: "{{ lookup('env', 'MOLECULE_EPHEMERAL_DIRECTORY') }}/client-inventory.yml"
            lab: client add lab-a4 c3 --bridge br3 --address 10.3.0.50/24 --gateway 10.3.0.1

        - name: Verify by traffic
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: The office client reaches the lab internet, NATed to the box's WAN address
              ansible.builtin.command: ip netns exec azb-a4-c-c3 curl -s -m 3 http://203.0.113.10/ip
              register: seen
              retries: 10
              delay: 1
              until: seen.rc == 0
              changed_when: false
            - name: It is seen with the WAN address (egress NAT of the zones role, the box routes)
              ansible.builtin.assert:
                that: seen.stdout | trim == '192.0.2.34'
                fail_msg: "the internet saw {{ seen.stdout }}"
            - name: The internet cannot open the box's ssh (management only from the controller)
              ansible.builtin.command: ip netns exec azb-inet timeout 3 bash -c 'exec 3<>/dev/tcp/192.0.2.34/22'
              register: ssh_from_inet
              failed_when: ssh_from_inet.rc == 0
              changed_when: false
            - name: Unplug the client
              ansible.builtin.command: >-
                {{ ansible_playbook_python }} -m tests.lab.azblab client del lab-a4 c3
              args:
                chdir: "{{ lookup('env', 'ANSIBLE_COLLECTIONS_PATH') }}/ansible_collections/azblink/nfv"
              changed_when: true
        - name: Our own task did its part
          hosts: all
          gather_facts: false
          tasks:
            - name: Read the file our task wrote
              ansible.builtin.slurp:
                src: /etc/acme-edge.txt
              register: ours
            - name: Check it
              ansible.builtin.assert:
                that: ours.content | b64decode == 'managed by acme_edge\\n'
        """,
}


def run(cmd, cwd, env, timeout):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, "%s -> %d\n%s\n%s" % (cmd, res.returncode, res.stdout[-6000:], res.stderr[-3000:])
    return res.stdout + res.stderr  # Molecule reports its steps on stderr


@pytest.fixture
def control_dir():
    path = tempfile.mkdtemp(prefix="azb-cp-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_an_integrators_role_is_tested_with_molecule_on_a_lab_appliance(tmp_path, control_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MOLECULE_"))}  # nothing of our own test setup leaks in
    collections = tmp_path / "collections"
    env.update(PATH=BIN + os.pathsep + env.get("PATH", ""), ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               # Not under ANSIBLE_HOME: ssh's control sockets (a short path: a Unix socket's is at
               # most 107 bytes, pytest's tmp_path is long) and the controller-side tasks' temp.
               ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir,
               ANSIBLE_REMOTE_TMP=str(tmp_path / "ansible-home" / "remote-tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
    dist = tmp_path / "dist"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), REPO],
        cwd=str(tmp_path), env=env, timeout=300)
    tarball = next(dist.glob("azblink-nfv-*.tar.gz"))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "-p", str(collections), str(tarball)],
        cwd=str(tmp_path), env=env, timeout=300)
    role = tmp_path / "acme_edge"
    for rel, text in FILES.items():
        path = role / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    out = run([os.path.join(BIN, "molecule"), "test"], cwd=str(role), env=env, timeout=1200)
    print(out[-4000:])
    for step in ("converge", "idempotence", "verify"):
        assert "default > %s: Executed: Successful" % step in out, "molecule's %s step did not pass" % step
    assert str(REPO) + "/build" not in out, "the scratch project used this repository's collection copy"
