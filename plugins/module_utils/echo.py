# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arguments a module echoes back in its result's ``invocation``, with long text (file
contents: the WAN health program, the VM helpers, certificates) given by its length and hash.

Ansible echoes every argument back whole: the WAN call returned 35 KB, the VM call 15 KB, on every
converge of every box, to be parsed, copied, scanned for secrets and kept in the registered result on
the controller, for a listing only ``-vvv`` prints. The hash still tells two runs' inputs apart.
A secret option's value is left as it is: Ansible masks it in the whole result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

# Longer text than this is echoed as its length and hash.
ECHO_CHARS = 1024


def echoed(value, secrets=()):
    """``value`` (the module's parameters) with every string longer than ECHO_CHARS that is not one
    of ``secrets`` replaced by "N characters (sha256 H)"."""
    if isinstance(value, dict):
        return dict((k, echoed(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [echoed(v, secrets) for v in value]
    if isinstance(value, str) and len(value) > ECHO_CHARS and value not in secrets:
        return "%d characters (sha256 %s)" % (len(value), hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest())
    return value
