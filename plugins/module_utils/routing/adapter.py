# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_routing: FRR's files, its parser, frr-reload.py, systemd, vtysh JSON.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so the plan can
be driven by a fake in unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd
import grp
import socket
import tempfile

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Files

CONF = "/etc/frr/frr.conf"
DAEMONS = "/etc/frr/daemons"
RELOAD = "/usr/lib/frr/frr-reload.py"
UNIT = "frr.service"
# What `gathered` reads: one vtysh JSON command per piece of live state.
GATHER = {
    "ospf_neighbors": "show ip ospf neighbor json",
    "ospf_interfaces": "show ip ospf interface json",
    "routes": "show ip route json",
    "rip_routes": "show ip route rip json",
    "bfd_peers": "show bfd peers json",
    "mroutes": "show ip mroute json",
    "igmp_groups": "show ip igmp groups json",
    "pim_neighbors": "show ip pim neighbor json",
}


class RoutingError(RuntimeError):
    pass


def _section(text, title):
    """The lines under ``title`` in frr-reload.py --test output."""
    lines, on = [], False
    for line in (text or "").splitlines():
        if line.strip() in ("Lines To Delete", "Lines To Add"):
            on = line.strip() == title
            continue
        if on and line.strip() and not line.startswith("===="):
            lines.append(line.rstrip())
    return lines


class Adapter(Files):
    def __init__(self, run):
        self.run = run

    def _ok(self, argv, what, data=None):
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise RoutingError("%s failed (rc=%d): %s" % (what, rc, (err or out).strip()[-2000:]))
        return out

    def hostname(self):
        return socket.gethostname().split(".")[0]

    def installed(self):
        return os.path.exists(RELOAD) and os.path.exists("/usr/bin/vtysh")

    def unit_state(self):
        rc, out, _err = self.run(["systemctl", "is-active", UNIT])
        active = out.strip() == "active"
        rc, out, _err = self.run(["systemctl", "is-enabled", UNIT])
        return active, out.strip() == "enabled"

    def _candidate(self, text):
        # Outside /etc/frr: check mode leaves no trace where FRR looks.
        fd, path = tempfile.mkstemp(prefix="azb-frr-", suffix=".conf")
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        return path

    def check(self, text):
        """FRR's own parser over the whole candidate: nothing changes when it refuses a line."""
        path = self._candidate(text)
        try:
            rc, out, err = self.run(["vtysh", "--dryrun", "-f", path])
        finally:
            os.unlink(path)
        if rc != 0:
            raise RoutingError("FRR refused the rendered configuration: %s" % (out + err).strip()[-2000:])

    def live_delta(self, text):
        """(lines to delete, lines to add) between the running daemons and ``text``."""
        path = self._candidate(text)
        try:
            out = self._ok(["python3", RELOAD, "--test", path], "frr-reload.py --test")
        finally:
            os.unlink(path)
        return _section(out, "Lines To Delete"), _section(out, "Lines To Add")

    def write(self, path, content, mode=None):
        super(Adapter, self).write(path, content, mode)
        try:
            os.chown(path, pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid)
        except KeyError:
            pass

    def reload_config(self):
        self._ok(["python3", RELOAD, "--reload", CONF], "frr-reload.py --reload")

    def start(self):
        self._ok(["systemctl", "restart", UNIT], "systemctl restart frr")

    def enable(self):
        self._ok(["systemctl", "enable", UNIT], "systemctl enable frr")

    def gather(self):
        state = {}
        for key, cmd in GATHER.items():
            rc, out, _err = self.run(["vtysh", "-c", cmd])
            try:
                state[key] = json.loads(out) if rc == 0 and out.strip() else {}
            except ValueError:
                state[key] = {}
        return state
