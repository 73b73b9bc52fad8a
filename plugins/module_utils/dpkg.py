# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dpkg's database: which packages are installed (one dpkg-query, a tenth of a second).

On its own, not in box_facts: Ansible bundles every module_utils file a module imports, and
box_facts imports Ansible's fact collectors (the whole facts package, some 370 KB). The modules
that only ask dpkg (through packages.py) ship and build without them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DPKG_QUERY = ["dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package}\\n"]


def installed_packages(dpkg_output):
    """dpkg-query's 'STATUS NAME' lines -> the names whose status is installed."""
    out = []
    for line in dpkg_output.splitlines():
        status, _sep, name = line.partition(" ")
        if status == "installed" and name:
            out.append(name)
    return out
