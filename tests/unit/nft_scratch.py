"""Load a ruleset with the real nft into a throwaway network namespace: what the renderer tests use.

Skips (with the reason printed) only when the machine cannot: no nft/unshare, or no namespace.
"""
import shutil
import subprocess

import pytest


def load(text, listing="nft list ruleset"):
    """nft -f the ruleset in a fresh network namespace; return what ``listing`` (an nft command run in
    that namespace, `nft list ruleset` by default) prints."""
    if not shutil.which("nft") or not shutil.which("unshare"):
        reason = "nft or unshare is not installed here"
    else:
        probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True, check=False)
        reason = None if probe.returncode == 0 else "cannot create a network namespace: " + probe.stderr.strip()
    if reason:
        print("SKIP reason: " + reason)
        pytest.skip(reason)
    res = subprocess.run(["unshare", "--net", "sh", "-c", "nft -f - && " + listing], input=text,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout
