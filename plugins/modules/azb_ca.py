#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_ca
short_description: A small built-in certificate authority for the appliance VPNs
version_added: 0.1.0
description:
  - Creates a CA (ECDSA P-256 or RSA) in a directory, issues server and client certificates (common
    name, SANs, validity) and publishes a CRL, with the Python C(cryptography) library.
  - Renews a certificate when its parameters change or it expires within O(renew_before_days);
    otherwise a second run issues nothing and reports C(changed=false).
  - Revokes certificates listed in O(revoke) and keeps the CRL current (re-signed when half of
    O(crl_validity_days) has passed).
  - Runs on the controller (C(delegate_to=localhost)) or on the appliance. Private keys are written
    0600 and never appear in the output or the diff.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
attributes:
  diff_mode:
    support: full
    description: The diff lists the CA, each certificate (subject, usage, key type, validity, SANs) and the revocations.
options:
  path:
    description: Directory of the CA. Created with the CA.
    type: path
    required: true
  ca:
    description: The CA itself. An existing CA is kept even if these change (a warning says so).
    type: dict
    required: true
    suboptions:
      common_name:
        description: Subject common name of the CA.
        type: str
        required: true
      organization:
        description: Subject organization of the CA.
        type: str
      key_type:
        description: Key algorithm.
        type: str
        choices: [ecdsa, rsa]
        default: ecdsa
      key_size:
        description: RSA key size (ignored for ECDSA, which is P-256).
        type: int
        default: 3072
      validity_days:
        description: Lifetime of the CA certificate.
        type: int
        default: 3650
  certificates:
    description: Certificates to issue and keep current.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File name of the certificate and key (C(certs/NAME.crt), C(private/NAME.key)).
        type: str
        required: true
      common_name:
        description: Subject common name. Defaults to O(certificates[].name).
        type: str
      sans:
        description: Subject alternative names, C(DNS:name), C(IP:addr) or bare names / addresses.
        type: list
        elements: str
        default: []
      usage:
        description: Extended key usage.
        type: str
        choices: [server, client]
        default: client
      validity_days:
        description: Lifetime of the certificate, at most the CA's.
        type: int
        default: 825
      key_type:
        description: Key algorithm; defaults to the CA's.
        type: str
        choices: [ecdsa, rsa]
      key_size:
        description: RSA key size.
        type: int
  revoke:
    description: Names of certificates to revoke; they are removed from C(certs/) and listed in the CRL.
    type: list
    elements: str
    default: []
  renew_before_days:
    description: Renew a certificate when it expires within this many days.
    type: int
    default: 30
  crl_validity_days:
    description: Next-update interval of the CRL.
    type: int
    default: 30
requirements:
  - cryptography (Python library; Debian C(python3-cryptography) on an appliance)
"""

EXAMPLES = r"""
- name: The site CA, a VPN server certificate and two road-warrior certificates
  azblink.nfv.azb_ca:
    path: "{{ playbook_dir }}/pki/site-a"
    ca:
      common_name: azblink site A CA
    certificates:
      - name: vpn-server
        usage: server
        sans: [vpn.example.net, 192.0.2.2]
      - name: alice
      - name: bob
        validity_days: 90
  delegate_to: localhost
  run_once: true

- name: Revoke bob
  azblink.nfv.azb_ca:
    path: "{{ playbook_dir }}/pki/site-a"
    ca:
      common_name: azblink site A CA
    certificates:
      - name: vpn-server
        usage: server
    revoke: [bob]
  delegate_to: localhost
"""

RETURN = r"""
actions:
  description: What the run did (or would do in check mode), one line each; also the audit record's actions.
  returned: always
  type: list
  elements: str
  sample: ["issue alice (new)", "revoke mallory", "re-issue the CRL"]
ca:
  description: The CA certificate's subject, expiry and SHA-256 fingerprint.
  returned: always
  type: dict
  sample: {"subject": "CN=azblink site A CA", "not_after": "2036-01-01T00:00:00+00:00", "sha256": "ab12..."}
ca_cert:
  description: Path of the CA certificate.
  returned: always
  type: str
crl:
  description: Path of the CRL (PEM).
  returned: always
  type: str
certificates:
  description: Each current certificate by name, with its file paths, serial, expiry, usage and SANs.
  returned: always
  type: dict
  sample: {"alice": {"cert": "/pki/certs/alice.crt", "key": "/pki/private/alice.key", "serial": "5f3a", "usage": "client"}}
revoked:
  description: Names of every certificate revoked by this CA.
  returned: always
  type: list
  elements: str
issued:
  description: Certificates issued (or that would be issued in check mode) by this run, with the reason.
  returned: always
  type: dict
  sample: {"alice": "missing", "vpn-server": "expires 2026-01-01, within the 30-day renewal window"}
revoked_now:
  description: Certificates revoked by this run.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.pki import ca as pki
from ansible_collections.azblink.nfv.plugins.module_utils.pki import model, report, store
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError

KEY_OPTIONS = dict(key_type=dict(type="str", choices=["ecdsa", "rsa"]), key_size=dict(type="int", no_log=False))


def argument_spec():
    ca = dict(common_name=dict(type="str", required=True), organization=dict(type="str"),
              validity_days=dict(type="int", default=3650))
    ca.update(KEY_OPTIONS)
    ca["key_type"] = dict(KEY_OPTIONS["key_type"], default="ecdsa")
    ca["key_size"] = dict(KEY_OPTIONS["key_size"], default=3072)
    cert = dict(name=dict(type="str", required=True), common_name=dict(type="str"),
                sans=dict(type="list", elements="str", default=[]),
                usage=dict(type="str", choices=["server", "client"], default="client"),
                validity_days=dict(type="int", default=825))
    cert.update(KEY_OPTIONS)
    return dict(
        path=dict(type="path", required=True),
        ca=dict(type="dict", required=True, options=ca),
        certificates=dict(type="list", elements="dict", default=[], options=cert),
        revoke=dict(type="list", elements="str", default=[]),
        renew_before_days=dict(type="int", default=30),
        crl_validity_days=dict(type="int", default=30),
    )


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(pki.CRYPTOGRAPHY_IMPORT_ERROR))
    path = module.params["path"]
    try:
        spec = model.validate(module.params)
        state = store.load(path)
        plan = pki.plan(spec, state)
    except SpecError as exc:
        module.fail_json(msg=str(exc), field=exc.path)
    for warning in plan.warnings:
        module.warn(warning)
    result = dict(changed=plan.changed, issued=dict(plan.issue), revoked_now=[n for n, _s in plan.revoke])
    result["actions"] = ((["create the CA"] if plan.create_ca else [])
                         + ["issue %s (%s)" % (n, why) for n, why in plan.issue]
                         + ["revoke %s" % n for n in result["revoked_now"]]
                         + (["re-issue the CRL"] if plan.crl else []))
    if module._diff:
        result["diff"] = report.diff(spec, state, plan, path)
    if plan.changed and not module.check_mode:
        store.save(path, pki.execute(plan, spec, state), plan)
        state = store.load(path)
    result.update(report.inventory(path, state))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
