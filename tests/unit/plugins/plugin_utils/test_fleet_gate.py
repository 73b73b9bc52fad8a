"""The health gate: its script, run by bash against stand-in tools (virsh, sysctl, nft, python3
answer as a box would; no libvirtd here), and the verdict read from its lines."""
import os
import subprocess

from ansible_collections.azblink.nfv.plugins.plugin_utils import fleet_gate, fleet_lock


def stand_ins(tmp_path, virsh_ok=True, forward="1", nft_ok=True):
    """A PATH whose virsh, sysctl and nft answer as told (the gate's own bash logic is what runs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = {
        "virsh": ('case "$*" in *pool-info*) printf "State:          running\\nAutostart:      yes\\n";; '
                  '*) %s;; esac' % ("exit 0" if virsh_ok else 'echo "error: failed to connect to the hypervisor" >&2; '
                                    'echo "error: second line" >&2; exit 1')),
        "sysctl": "echo %s" % forward,
        "nft": "exit %d" % (0 if nft_ok else 1),
    }
    for name, body in tools.items():
        path = bin_dir / name
        path.write_text("#!/bin/bash\n%s\n" % body)
        path.chmod(0o755)
    return "PATH=%s:%s" % (bin_dir, os.environ["PATH"])


def run_gate(tmp_path, probe_url="", firewall=True, record=None, **tools):
    script = fleet_gate.gate_script("azb", firewall, probe_url, "hello", timeout=2, retries=0, libvirt_wait=0, record=record)
    res = subprocess.run(["bash", "-c", stand_ins(tmp_path, **tools) + "\n" + script], capture_output=True, text=True,
                         timeout=60, check=False)
    return res.returncode, res.stdout.splitlines()


def test_a_healthy_box_passes(tmp_path):
    rc, lines = run_gate(tmp_path)
    assert rc == 0 and lines == ["libvirt: ok", "pool: ok", "forward: 1", "firewall: ok"]
    assert fleet_gate.gate_failures(lines, True, "") == []


def test_every_failed_check_is_named_with_its_cause(tmp_path):
    rc, lines = run_gate(tmp_path, virsh_ok=False, forward="0", nft_ok=False,
                         probe_url="http://127.0.0.1:9/ip")  # the discard port: refused at once
    failures = fleet_gate.gate_failures(lines, True, "http://127.0.0.1:9/ip")
    assert failures[0] == "libvirtd does not answer (error: failed to connect to the hypervisor)"
    assert failures[1:3] == ["IPv4 forwarding off", "zones firewall not loaded"]
    assert failures[3].startswith("no egress through the WAN (http://127.0.0.1:9/ip: ")
    assert "refused" in failures[3].lower(), failures[3]


def test_no_firewall_check_where_no_zones_are_declared(tmp_path):
    rc, lines = run_gate(tmp_path, firewall=False, nft_ok=False)
    assert not [line for line in lines if line.startswith("firewall:")]
    assert fleet_gate.gate_failures(lines, False, "") == []


def test_a_box_that_answers_nothing_fails_every_check():
    assert fleet_gate.gate_failures([], True, "http://x/") == [
        "libvirtd does not answer (no answer)", "storage pool not running and autostarted", "IPv4 forwarding off",
        "zones firewall not loaded", "no egress through the WAN (http://x/: no answer)"]


def test_a_failed_record_fails_the_gate_after_the_checks(tmp_path):
    rc, lines = run_gate(tmp_path, record="false || unrecorded=$?\n")
    assert rc == 1 and lines[:2] == ["libvirt: ok", "pool: ok"]


def _gate_releasing(tmp_path, holder, **tools):
    lock = tmp_path / "converge.lock"
    lock.mkdir()
    (lock / "holder").write_text("ops@c1 play \"Roll out\" since T\n")
    script = fleet_gate.gate_script("azb", True, "", "hello", timeout=2, retries=0, libvirt_wait=0,
                                    release=fleet_lock.release_script(str(lock), holder))
    res = subprocess.run(["bash", "-c", stand_ins(tmp_path, **tools) + "\n" + script], capture_output=True, text=True,
                         timeout=60, check=False)
    return res.returncode, res.stdout.splitlines(), lock.exists()


def test_the_gate_releases_the_lock_of_its_holder_last_whatever_it_found(tmp_path):
    rc, lines, locked = _gate_releasing(tmp_path, 'ops@c1 play "Roll out" since T', forward="0")
    assert lines[-1] == "released" and not locked
    assert fleet_gate.gate_failures(lines, True, "") == ["IPv4 forwarding off"]


def test_the_gate_leaves_another_runs_lock(tmp_path):
    rc, lines, locked = _gate_releasing(tmp_path, "someone else")
    assert rc == 0 and "released" not in lines and locked
