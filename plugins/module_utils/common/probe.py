# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a TCP port answers: one probe for a box's services (from the box) and for the zones'
commit-confirm (from the controller)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket


def tcp_open(address, port, timeout=1.0):
    """Whether a new TCP connection to address:port is accepted within timeout seconds."""
    try:
        sock = socket.create_connection((address, port), timeout)
    except (OSError, socket.error):
        return False
    sock.close()
    return True
