# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What azb_ca reports: the diff (certificate subjects and dates, never keys) and the inventory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.pki import ca as pki
from ansible_collections.azblink.nfv.plugins.module_utils.pki import store

try:
    from cryptography.hazmat.primitives import hashes
except ImportError:  # pragma: no cover
    pass


def before_lines(state):
    lines = []
    if state.ca_cert is not None:
        lines.append("ca: %s" % pki.describe_ca(state.ca_cert))
    for name in sorted(state.certs):
        lines.append("certificate %s: %s" % (name, pki.describe_cert(state.certs[name])))
    for name in sorted(state.revoked_names()):
        lines.append("revoked %s" % name)
    return lines


def after_lines(spec, state, plan):
    lines = []
    if plan.create_ca:
        lines.append("ca: CN=%s key=%s validity=%dd" % (
            spec.ca.common_name, spec.ca.key.describe(), spec.ca.validity_days))
    elif state.ca_cert is not None:
        lines.append("ca: %s" % pki.describe_ca(state.ca_cert))
    issue = dict(plan.issue)
    revoking = set(n for n, _s in plan.revoke)
    wanted = dict((c.name, c) for c in spec.certificates)
    names = set(state.certs) | set(wanted)
    for name in sorted(names - revoking):
        if name in issue:
            lines.append("certificate %s: %s" % (name, wanted[name].describe()))
        elif name in state.certs:
            lines.append("certificate %s: %s" % (name, pki.describe_cert(state.certs[name])))
    for name in sorted(state.revoked_names() | revoking):
        lines.append("revoked %s" % name)
    return lines


def diff(spec, state, plan, path):
    return {"before_header": path, "after_header": path,
            "before": "\n".join(before_lines(state)) + "\n",
            "after": "\n".join(after_lines(spec, state, plan)) + "\n"}


def inventory(path, state):
    """Public facts about the CA as it is on disk (after apply)."""
    out = {"path": path, "ca_cert": store.paths(path)["ca_cert"], "crl": store.paths(path)["crl"],
           "certificates": {}}
    if state.ca_cert is not None:
        out["ca"] = {"subject": state.ca_cert.subject.rfc4514_string(),
                     "not_after": pki.not_after(state.ca_cert).isoformat(),
                     "sha256": state.ca_cert.fingerprint(hashes.SHA256()).hex()}
    for name, cert in sorted(state.certs.items()):
        out["certificates"][name] = {
            "cert": store.cert_path(path, name), "key": store.key_path(path, name),
            "serial": "%x" % cert.serial_number, "not_after": pki.not_after(cert).isoformat(),
            "usage": pki.cert_usage(cert), "subject": cert.subject.rfc4514_string(),
            "sans": pki.cert_sans(cert)}
    out["revoked"] = sorted(state.revoked_names())
    return out
