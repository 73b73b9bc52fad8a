"""Make `ansible_collections.azblink.nfv` importable from this working tree for pytest.

A symlink outside the tree (a temporary directory) names the repository as the collection, so unit
tests import the code being edited, not a copy, and nothing inside the tree points back at itself.
"""
import atexit
import os
import shutil
import sys
import tempfile

_root = tempfile.mkdtemp(prefix="azb-pytest-collections-")
os.makedirs(os.path.join(_root, "ansible_collections", "azblink"))
os.symlink(os.path.dirname(os.path.abspath(__file__)),
           os.path.join(_root, "ansible_collections", "azblink", "nfv"))
sys.path.insert(0, _root)
atexit.register(shutil.rmtree, _root, True)
