# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System access of azb_vpn: files, keys, systemd, wg. Everything that touches the box is here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import stat

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Files
from ansible_collections.azblink.nfv.plugins.module_utils.vpn.render import SECRET_RE

PUBKEY_RE = re.compile(r"\{\{pubkey:([^}]+)\}\}")
FILE_RE = re.compile(r"\{\{file:([^}]+)\}\}")


class CommandError(Exception):
    pass


class System(Files):
    """``run(argv, data=None) -> (rc, out, err)`` is AnsibleModule.run_command (or a fake)."""

    def __init__(self, run):
        self._run = run

    def run(self, argv, data=None, check=True):
        rc, out, err = self._run(argv, data=data) if data is not None else self._run(argv)
        if check and rc != 0:
            raise CommandError("%s failed (%d): %s" % (" ".join(argv), rc, (err or out).strip()))
        return rc, out, err

    # ---------------------------------------------------------------- files (the rest: Files)
    @staticmethod
    def mode(path):
        try:
            return stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            return None

    # ---------------------------------------------------------------- keys
    def wg_genkey(self, path):
        _rc, key, _err = self.run(["wg", "genkey"])
        self.write(path, key.strip() + "\n", 0o600)

    def wg_pubkey(self, path):
        key = self.read(path)
        if key is None:
            return None
        _rc, out, _err = self.run(["wg", "pubkey"], data=key.strip())
        return out.strip()

    def ovpn_genkey(self, path):
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        self.run(["openvpn", "--genkey", "secret", path])
        os.chmod(path, 0o600)

    # ---------------------------------------------------------------- placeholders
    def resolve(self, content):
        """Fill the placeholders: returns (content, [secret values]) for writing and redaction."""
        secrets = []

        def secret(m):
            value = (self.read(m.group(1)) or "").strip()
            if value:
                secrets.append(value)
            return value or "(missing %s)" % m.group(1)

        content = PUBKEY_RE.sub(lambda m: self.wg_pubkey(m.group(1)) or "(pending)", content)
        content = FILE_RE.sub(lambda m: (self.read(m.group(1)) or "(missing %s)" % m.group(1)).strip(), content)
        content = SECRET_RE.sub(secret, content)
        return content, secrets

    # ---------------------------------------------------------------- records of earlier runs
    def deployed(self, config_dir):
        out = {}
        for name in self.listdir(config_dir):
            data = self.read(os.path.join(config_dir, name, "peers.json"))
            if data:
                try:
                    out[name] = json.loads(data).get("peers", {})
                except ValueError:
                    pass
        return out

    @staticmethod
    def certificates(pki_dir):
        """Names of the certificates (with their keys) present in the CA copy on the appliance."""
        certs = set(n[:-4] for n in System.listdir(os.path.join(pki_dir, "certs")) if n.endswith(".crt"))
        keys = set(n[:-4] for n in System.listdir(os.path.join(pki_dir, "private")) if n.endswith(".key"))
        return certs & keys

    # ---------------------------------------------------------------- systemd and live state
    def systemctl(self, *args):
        self.run(["systemctl"] + list(args))

    def unit_active(self, unit):
        rc, _o, _e = self.run(["systemctl", "is-active", "--quiet", unit], check=False)
        return rc == 0

    def unit_enabled(self, unit):
        rc, _o, _e = self.run(["systemctl", "is-enabled", "--quiet", unit], check=False)
        return rc == 0

    def link_exists(self, name):
        return os.path.exists("/sys/class/net/%s" % name)

    def qrencode(self, src, dest):
        if not shutil.which("qrencode"):
            return False
        self.run(["qrencode", "-t", "PNG", "-o", dest, "-r", src])
        os.chmod(dest, 0o600)
        return True
