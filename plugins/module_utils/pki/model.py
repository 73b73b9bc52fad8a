# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA's intent, validated and normalised (no crypto, no file access).

``validate(params)`` turns the module's parameters into a :class:`Spec` or raises
:class:`SpecError` naming the field path (``certificates[2].sans[0]: ...``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DNS_RE = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
KEY_TYPES = ("ecdsa", "rsa")
USAGES = ("server", "client")
RSA_SIZES = (2048, 3072, 4096)


class KeySpec(object):
    def __init__(self, key_type="ecdsa", key_size=2048):
        self.key_type = key_type
        self.key_size = key_size if key_type == "rsa" else 256

    def describe(self):
        return "ecdsa-p256" if self.key_type == "ecdsa" else "rsa-%d" % self.key_size

    def __eq__(self, other):
        return self.describe() == other.describe()

    def __ne__(self, other):
        return not self == other


class CASpec(object):
    def __init__(self, common_name, key, validity_days, organization=None):
        self.common_name = common_name
        self.key = key
        self.validity_days = validity_days
        self.organization = organization


class CertSpec(object):
    def __init__(self, name, common_name, sans, usage, validity_days, key):
        self.name = name
        self.common_name = common_name
        self.sans = sans              # normalised: ["DNS:x", "IP:1.2.3.4"], sorted
        self.usage = usage
        self.validity_days = validity_days
        self.key = key

    def describe(self):
        """One line for diffs and reports (no key material)."""
        return "CN=%s usage=%s key=%s validity=%dd SAN=%s" % (
            self.common_name, self.usage, self.key.describe(), self.validity_days,
            ",".join(self.sans) or "-")


class Spec(object):
    def __init__(self, ca, certificates, revoke, renew_before_days, crl_validity_days):
        self.ca = ca
        self.certificates = certificates  # list of CertSpec, in input order
        self.revoke = revoke              # list of names
        self.renew_before_days = renew_before_days
        self.crl_validity_days = crl_validity_days


def _int(value, path, low, high):
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise SpecError(path, "%r is not an integer" % (value,))
    if out < low or out > high:
        raise SpecError(path, "%d is out of range %d..%d" % (out, low, high))
    return out


def _key(obj, path, default_type="ecdsa"):
    key_type = obj.get("key_type") or default_type
    if key_type not in KEY_TYPES:
        raise SpecError(path + ".key_type", "%r is not one of %s" % (key_type, ", ".join(KEY_TYPES)))
    size = obj.get("key_size")
    if key_type == "rsa":
        size = 3072 if size is None else _int(size, path + ".key_size", 0, 16384)
        if size not in RSA_SIZES:
            raise SpecError(path + ".key_size", "RSA key size must be one of %s"
                            % ", ".join(str(s) for s in RSA_SIZES))
    return KeySpec(key_type, size or 0)


def normalise_san(value, path):
    """``DNS:name``, ``IP:addr`` or a bare name / address -> the canonical ``DNS:`` / ``IP:`` form."""
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, "a SAN must be a non-empty string")
    value = value.strip()
    kind, _sep, rest = value.partition(":")
    if kind.upper() in ("DNS", "IP") and rest:
        kind = kind.upper()
    else:
        rest = value
        try:
            ipaddress.ip_address(value)
            kind = "IP"
        except ValueError:
            kind = "DNS"
    if kind == "IP":
        try:
            return "IP:%s" % ipaddress.ip_address(rest)
        except ValueError:
            raise SpecError(path, "%r is not an IP address" % rest)
    if not DNS_RE.match(rest) or len(rest) > 253:
        raise SpecError(path, "%r is not a DNS name" % rest)
    return "DNS:%s" % rest.lower()


def validate(params):
    ca_in = params.get("ca") or {}
    if not isinstance(ca_in, dict):
        raise SpecError("ca", "must be a dictionary")
    cn = ca_in.get("common_name")
    if not cn or not isinstance(cn, str):
        raise SpecError("ca.common_name", "is required")
    ca = CASpec(cn, _key(ca_in, "ca"),
                _int(ca_in.get("validity_days", 3650), "ca.validity_days", 1, 36500),
                ca_in.get("organization"))

    certs, seen = [], {}
    for i, c in enumerate(params.get("certificates") or []):
        path = "certificates[%d]" % i
        if not isinstance(c, dict):
            raise SpecError(path, "must be a dictionary")
        name = c.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SpecError(path + ".name", "%r is not a valid name (letters, digits, _.-)" % (name,))
        if name in seen:
            raise SpecError(path + ".name", "%r is already used by certificates[%d]" % (name, seen[name]))
        seen[name] = i
        usage = c.get("usage") or "client"
        if usage not in USAGES:
            raise SpecError(path + ".usage", "%r is not one of %s" % (usage, ", ".join(USAGES)))
        sans = sorted(set(normalise_san(s, "%s.sans[%d]" % (path, j))
                          for j, s in enumerate(c.get("sans") or [])))
        validity = _int(c.get("validity_days", 825), path + ".validity_days", 1, 36500)
        if validity > ca.validity_days:
            raise SpecError(path + ".validity_days", "%d days outlives the CA (%d days)"
                            % (validity, ca.validity_days))
        certs.append(CertSpec(name, c.get("common_name") or name, sans, usage, validity,
                              _key(c, path, ca.key.key_type)))

    revoke = []
    for i, name in enumerate(params.get("revoke") or []):
        path = "revoke[%d]" % i
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SpecError(path, "%r is not a valid certificate name" % (name,))
        if name in seen:
            raise SpecError(path, "%r is also listed in certificates[%d]; a certificate is either "
                                  "issued or revoked" % (name, seen[name]))
        if name not in revoke:
            revoke.append(name)

    renew = _int(params.get("renew_before_days", 30), "renew_before_days", 0, 3650)
    for c in certs:
        if renew >= c.validity_days:
            raise SpecError("renew_before_days", "%d days is not shorter than certificate %r's "
                                                 "validity (%d days): it would renew on every run"
                            % (renew, c.name, c.validity_days))
    crl_days = _int(params.get("crl_validity_days", 30), "crl_validity_days", 2, 3650)
    return Spec(ca, certs, revoke, renew, crl_days)
