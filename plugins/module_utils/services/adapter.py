# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System access of the services modules: files, the real tools' checkers, systemd, TCP probes.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so the plans can
be driven by a fake in unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client as http_client
import os
import shutil
import socket
import tempfile
import time

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic
from ansible_collections.azblink.nfv.plugins.module_utils.common import probe
from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Commands

PKI_DIR = "/etc/azblink/pki"


class ServiceError(RuntimeError):
    pass


class Adapter(Commands):
    error = ServiceError

    @staticmethod
    def exists(path):
        return os.path.exists(path)

    def certificate_pem(self, name):
        """The certificate and key the pki role pushed, as the one PEM haproxy loads (or None)."""
        cert = self.read("%s/certs/%s.crt" % (PKI_DIR, name))
        key = self.read("%s/private/%s.key" % (PKI_DIR, name))
        if not cert or not key:
            return None
        return cert.rstrip("\n") + "\n" + key.rstrip("\n") + "\n"

    # -- the tools' own checkers ---------------------------------------------------------------------
    def check_with(self, argv_of, files, config_of):
        """Write ``files`` (name -> text) and ``config_of(directory)`` to a private directory, run the
        checker ``argv_of(config_path)`` there: (rc, messages)."""
        tmp = tempfile.mkdtemp(prefix="azb-svc-check-")
        try:
            os.chmod(tmp, 0o700)
            for name, text in files.items():
                write_atomic(os.path.join(tmp, name), text, 0o600)
            cfg = os.path.join(tmp, "config")
            write_atomic(cfg, config_of(tmp), 0o600)
            rc, out, err = self.run(argv_of(cfg))
            return rc, (err or "") + (out or "")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def binary(self, name):
        for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
        return None

    # -- systemd -------------------------------------------------------------------------------------
    def unit_exists(self, unit):
        rc, out, _err = self.systemctl("show", "-p", "LoadState", "--value", unit)
        return rc == 0 and out.strip() == "loaded"

    def show(self, unit, props):
        rc, out, _err = self.systemctl("show", unit, "-p", ",".join(props))
        values = {}
        for line in (out or "").splitlines() if rc == 0 else []:
            key, _sep, value = line.partition("=")
            values[key] = value
        return values

    def package_version(self, package):
        rc, out, _err = self.run(["dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", package])
        status, _sep, version = (out or "").strip().partition(" ")
        return version if rc == 0 and status == "installed" else None

    # -- probes --------------------------------------------------------------------------------------
    tcp_open = staticmethod(probe.tcp_open)

    def healthy(self, health):
        """A catalog service's own health check, from the box: HTTP 2xx/3xx or a TCP connect."""
        if health.kind == "tcp":
            return self.tcp_open("127.0.0.1", health.port, 2.0)
        try:
            conn = http_client.HTTPConnection("127.0.0.1", health.port, timeout=2.0)
            conn.request("GET", health.path)
            status = conn.getresponse().status
            conn.close()
        except (OSError, socket.error, http_client.HTTPException):
            return False
        return 200 <= status < 400

    def wait_listening(self, endpoints, seconds):
        """Poll until every (address, port) accepts a connection, up to ``seconds``; the late ones."""
        deadline = time.monotonic() + seconds
        late = list(endpoints)
        while late and time.monotonic() < deadline:
            late = [e for e in late if not self.tcp_open(e[0], e[1], 0.5)]
            if late:
                time.sleep(0.1)
        return late
