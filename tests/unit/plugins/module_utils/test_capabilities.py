"""The capability probes: each runs in a fresh network namespace, and answers become facts.

The probe runner is replaced by a fake only to check the bookkeeping; the probes themselves run for
real in test_probes_run_for_real (skipped only when unshare cannot make a namespace here).
"""
import shutil
import subprocess

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import capabilities as cap


def test_every_probe_runs_inside_its_own_network_namespace():
    for name in cap.PROBES:
        argv = cap.probe_command(name)
        assert argv[:2] == ["unshare", "--net"], name
        assert cap.PROBES[name][1] in argv[-1]


def test_missing_feature_reports_the_kernel_error_as_reason():
    def run(argv):
        if "type vrf" in argv[-1]:
            return 2, "", "Error: Unknown device type.\n"
        return 0, "", ""

    caps, reasons = cap.gather(run, ["vrf", "bridge"])
    assert caps["vrf"] is False and caps["bridge"] is True
    assert reasons == {"vrf": "VRF devices unavailable: Error: Unknown device type."}
    assert "kvm" in caps and "cgroups_writable" in caps


def test_unknown_probe_is_refused():
    with pytest.raises(KeyError):
        cap.gather(lambda argv: (0, "", ""), ["warp_drive"])


def _can_unshare():
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    res = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True, check=False)
    return None if res.returncode == 0 else "unshare --net failed: " + res.stderr.strip()


def test_probes_run_for_real():
    why = _can_unshare()
    if why:
        pytest.skip(why)

    def run(argv):
        res = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
        return res.returncode, res.stdout, res.stderr

    names = ["bridge", "qdisc_htb", "vrf"] + (["nftables"] if shutil.which("nft") else [])
    caps, reasons = cap.gather(run, names)
    # A Linux host that can unshare a network namespace has bridges and HTB; nft, when installed,
    # must accept the probe's ruleset (a broken probe would read as a missing feature).
    assert caps["bridge"], reasons.get("bridge")
    assert caps["qdisc_htb"], reasons.get("qdisc_htb")
    assert caps.get("nftables", True), reasons.get("nftables")
    assert set(reasons) <= {"vrf"}
