"""Run code in a fresh Python with Ansible's collection finder over this tree, as ansible-playbook
sets it up: for what patches or imports process-wide state (the rest of the test run must not see
it). The code reads this tree's root as ``sys.argv[1]``."""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SETUP = r"""
import os, sys, tempfile
root = tempfile.mkdtemp()
os.makedirs(os.path.join(root, "ansible_collections", "azblink"))
os.symlink(sys.argv[1], os.path.join(root, "ansible_collections", "azblink", "nfv"))
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[root])._install()
"""


def run(code, timeout=120):
    """-> the finished process (stdout and stderr as text)."""
    return subprocess.run([sys.executable, "-c", SETUP + code, ROOT], capture_output=True, text=True,
                          timeout=timeout, check=False)
