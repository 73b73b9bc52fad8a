# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter for zone links: networkd files on disk, links and addresses from netlink."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic
from ansible_collections.azblink.nfv.plugins.module_utils.zones.render_networkd import DIR, PREFIX


class NetError(RuntimeError):
    pass


class NetAdapter(object):
    def __init__(self, run, directory=DIR):
        self.run = run
        self.dir = directory

    def files(self):
        """{filename: content} of the networkd files the collection owns."""
        out = {}
        if os.path.isdir(self.dir):
            for name in sorted(os.listdir(self.dir)):
                if name.startswith(PREFIX):
                    with open(os.path.join(self.dir, name)) as fh:
                        out[name] = fh.read()
        return out

    def links(self):
        """{ifname: (master or None, sorted 'addr/prefix' of global scope)} from netlink."""
        rc, out, err = self.run(["ip", "-j", "addr", "show"])
        if rc != 0:
            raise NetError("ip addr show failed: %s" % err)
        result = {}
        for link in json.loads(out or "[]"):
            addrs = sorted("%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", [])
                           if a.get("scope") == "global")
            result[link["ifname"]] = (link.get("master"), addrs)
        return result

    def write(self, desired, stale):
        for name, content in desired.items():
            write_atomic(os.path.join(self.dir, name), content, 0o644, make_dirs=False)
        for name in stale:
            os.unlink(os.path.join(self.dir, name))

    def reload(self, links, remove_links):
        for ifname in remove_links:
            self.run(["ip", "link", "del", ifname])
        rc, _out, err = self.run(["networkctl", "reload"])
        if rc != 0:
            raise NetError("networkctl reload failed (is systemd-networkd running?): %s" % err.strip())
        present = self.links()
        for ifname in links:
            if ifname in present:
                self.run(["networkctl", "reconfigure", ifname])

    def wait_for(self, expected, timeout=20.0):
        """Poll netlink until every expected link has its master and addresses; -> missing list."""
        deadline = time.time() + timeout
        while True:
            missing = mismatches(expected, self.links())
            if not missing or time.time() > deadline:
                return missing
            time.sleep(0.2)


def mismatches(expected, live):
    """Links whose live master/addresses differ from what the zone model wants."""
    out = []
    for ifname, (master, addrs) in sorted(expected.items()):
        if ifname not in live:
            out.append("%s: missing" % ifname)
            continue
        live_master, live_addrs = live[ifname]
        if master is not None and live_master != master:
            out.append("%s: master %s, want %s" % (ifname, live_master, master))
        if set(addrs) - set(live_addrs):
            out.append("%s: addresses %s, want %s" % (ifname, live_addrs, addrs))
    return out
