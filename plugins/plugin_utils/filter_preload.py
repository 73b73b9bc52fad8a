# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import the collection's filter plugins once, in the controller's main process.

Ansible forks a worker per task and box. To find one filter of a collection, ansible-core 2.19
imports every filter file of that collection (a collection's filter names are not its file names),
and a fresh worker has none of them: every task that templates one of our filters paid for all of
them (their model code, 30-40 ms on the reference machine), on every box. Imported here before
the first fork, the workers inherit them.
"""
from __future__ import annotations

COLLECTION = "azblink.nfv"
# Any filter of the collection: looking one up makes the loader import the collection's filter files.
ANY_FILTER = COLLECTION + ".azb_vm_plan"


def preload_collection_filters():
    """True when the filters are loaded; never raises (a run must not fail for a speed-up)."""
    try:
        from ansible.plugins.loader import filter_loader
        return filter_loader.get(ANY_FILTER) is not None
    except Exception:  # pylint: disable=broad-except
        return False
