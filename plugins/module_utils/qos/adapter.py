# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_qos: what tc and nft show, a scratch network namespace to learn what the
rendered configuration looks like once loaded, capability probes, files, systemd.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so everything
here can be driven by a fake in unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

from ansible_collections.azblink.nfv.plugins.module_utils import atomic, capabilities
from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Commands
from ansible_collections.azblink.nfv.plugins.module_utils.qos import render

# What tc prints that is not configuration: counters, reference counts, action indexes, offload.
_NOISE = [re.compile(p) for p in (r" direct_packets_stat \d+", r" direct_qlen \d+", r" refcnt \d+",
                                  r"\s*index \d+ ref \d+ bind \d+", r" not_in_hw", r" in_hw")]
LEAF_PROBES = ("qdisc_fq_codel", "qdisc_sfq")


class QosError(RuntimeError):
    pass


def dump_script(devices):
    """A shell script printing our part of the live configuration, one section per device."""
    lines = []
    for dev, ingress in devices:
        lines.append("echo '## %s qdiscs'; tc qdisc show dev %s 2>&1 | sort" % (dev, dev))
        lines.append("echo '## %s classes'; tc class show dev %s 2>&1 | sort" % (dev, dev))
        lines.append("echo '## %s filters'; tc filter show dev %s 2>&1" % (dev, dev))
        if ingress:
            lines.append("echo '## %s ingress filters'; tc filter show dev %s ingress 2>&1" % (dev, dev))
    lines.append("echo '## nft'; nft list table inet %s 2>/dev/null || true" % render.TABLE)
    return "\n".join(lines) + "\n"


def devices(site):
    """(device, has an ingress hook) of every device the site shapes."""
    out = []
    for link in site.links:
        out.append((link.interface, link.ingress_bps is not None))
        if link.ingress_bps is not None:
            out.append((link.ifb, False))
    return out


def normalise(text):
    out = []
    for line in (text or "").splitlines():
        for pat in _NOISE:
            line = pat.sub("", line)
        line = line.rstrip()
        if line:
            out.append(line)
    return "\n".join(out) + "\n"


class Adapter(Commands):
    error = QosError

    def capabilities(self):
        caps, _reasons = capabilities.gather(self.run, LEAF_PROBES)
        return caps

    def live(self, devs):
        return normalise(self.run_ok(["sh", "-c", dump_script(devs)], what="reading tc and nft state"))

    def canonical(self, site, files, devs):
        """What the box would show once ``files`` are applied: applied in a throwaway network
        namespace with a veth named like each link (proves the kernel takes them, too)."""
        tmp = tempfile.mkdtemp(prefix="azb-qos-")
        try:
            for path in (render.TC_FILE, render.NFT_FILE, render.SCRIPT_FILE):
                atomic.write_atomic(os.path.join(tmp, os.path.basename(path)), files[path], 0o600)
            prelude = ["set -e", "ip link set lo up"]
            for i, link in enumerate(site.links):
                prelude.append("ip link add %s type veth peer name azbq%d" % (link.interface, i))
                prelude.append("ip link set %s up" % link.interface)
            script = "\n".join(prelude) + "\nsh %s/qos.sh %s >&2\nset +e\n%s" % (tmp, tmp, dump_script(devs))
            rc, out, err = self.run(["unshare", "--net", "sh", "-c", script])
            if rc != 0:
                raise QosError("the rendered QoS configuration does not load: %s" % (err or out).strip())
            return normalise(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def apply(self):
        self.run_ok(["sh", render.SCRIPT_FILE, render.CONF_DIR], what="applying %s" % render.SCRIPT_FILE)

    def clear_link(self, interface, ifb):
        self.run(["tc", "qdisc", "del", "dev", interface, "root"])
        self.run(["tc", "qdisc", "del", "dev", interface, "ingress"])
        if ifb:
            self.run(["ip", "link", "del", "dev", ifb])

    def nft_remove(self):
        self.run_ok(["nft", "-f", "-"], data=render.nft_removal(), what="nft (removing table inet %s)" % render.TABLE)

    def file_mode(self, path):
        return 0o755 if path.endswith(".sh") else 0o644
