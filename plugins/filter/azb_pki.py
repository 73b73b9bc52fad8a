# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``azb_pki_box_files``: the files of a box's copy of the CA (azb_files' ``files``), read from the
CA's store on the controller. In Jinja it took four looping templates, compiled again for every box."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def _read(path, what):
    try:
        with open(path) as fh:
            return fh.read()
    except (IOError, OSError) as exc:
        raise AnsibleFilterError("azb_pki_box_files: cannot read %s %s: %s" % (what, path, exc))


def azb_pki_box_files(ca, pushed, appliance_dir):
    """``ca`` is azb_ca's result: the CA certificate and CRL, then the certificate and private key of
    each of ``pushed`` the CA issued (sorted), then the revoked ones' files, absent."""
    certificates = ca.get("certificates") or {}
    here = sorted(name for name in certificates if name in (pushed or []))
    gone = sorted(set(ca.get("revoked") or []) - set(certificates))
    files = [{"path": appliance_dir, "state": "directory", "mode": "0755"},
             {"path": appliance_dir + "/certs", "state": "directory", "mode": "0755"},
             {"path": appliance_dir + "/private", "state": "directory", "mode": "0700"},
             {"path": appliance_dir + "/ca.crt", "content": _read(ca["ca_cert"], "the CA certificate")},
             {"path": appliance_dir + "/crl.pem", "content": _read(ca["crl"], "the CRL")}]
    files += [{"path": "%s/certs/%s.crt" % (appliance_dir, name),
               "content": _read(certificates[name]["cert"], "the certificate of %r" % name)} for name in here]
    files += [{"path": "%s/private/%s.key" % (appliance_dir, name), "mode": "0600",
               "secret_content": _read(certificates[name]["key"], "the private key of %r" % name)} for name in here]
    for name in gone:
        files += [{"path": "%s/certs/%s.crt" % (appliance_dir, name), "state": "absent"},
                  {"path": "%s/private/%s.key" % (appliance_dir, name), "state": "absent"}]
    return files


class FilterModule(object):
    def filters(self):
        return {"azb_pki_box_files": azb_pki_box_files}
