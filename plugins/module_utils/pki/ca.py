# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA's decisions and crypto (the ``cryptography`` library), apart from the files.

``plan(spec, state, now)`` answers "what must change?" from the validated spec and the loaded
state (no writes); ``execute(plan, spec, state, now)`` builds the new keys, certificates and CRL in
memory for the store adapter to write in one go.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress

from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

UTC = datetime.timezone.utc
BACKDATE = datetime.timedelta(minutes=5)


def utcnow():
    return datetime.datetime.now(UTC)


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=UTC)


def not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=UTC)


def next_update(crl):
    value = getattr(crl, "next_update_utc", None)
    if value is None and crl.next_update is not None:
        value = crl.next_update.replace(tzinfo=UTC)
    return value


# ---------------------------------------------------------------- reading what exists

def key_describe(public_key):
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ecdsa-p256" if public_key.curve.name == "secp256r1" else "ecdsa-" + public_key.curve.name
    if isinstance(public_key, rsa.RSAPublicKey):
        return "rsa-%d" % public_key.key_size
    return "other"


def _cn(cert):
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else ""


def cert_sans(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out = ["DNS:%s" % n.lower() for n in ext.get_values_for_type(x509.DNSName)]
    out += ["IP:%s" % a for a in ext.get_values_for_type(x509.IPAddress)]
    return sorted(out)


def cert_usage(cert):
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return "unknown"
    if ExtendedKeyUsageOID.SERVER_AUTH in eku:
        return "server"
    if ExtendedKeyUsageOID.CLIENT_AUTH in eku:
        return "client"
    return "unknown"


def cert_validity_days(cert):
    return int(round((not_after(cert) - not_before(cert) - BACKDATE).total_seconds() / 86400.0))


def describe_cert(cert):
    """The same one-line form as CertSpec.describe(), read back from a certificate."""
    sans = cert_sans(cert)
    return "CN=%s usage=%s key=%s validity=%dd SAN=%s" % (
        _cn(cert), cert_usage(cert), key_describe(cert.public_key()), cert_validity_days(cert),
        ",".join(sans) or "-")


def describe_ca(cert):
    return "CN=%s key=%s validity=%dd" % (
        _cn(cert), key_describe(cert.public_key()), cert_validity_days(cert))


def issued_by(cert, ca_cert):
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
        return True
    except AttributeError:  # cryptography < 40: check the signature by hand
        pub = ca_cert.public_key()
        try:
            if isinstance(pub, rsa.RSAPublicKey):
                from cryptography.hazmat.primitives.asymmetric import padding
                pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                           cert.signature_hash_algorithm)
            else:
                pub.verify(cert.signature, cert.tbs_certificate_bytes,
                           ec.ECDSA(cert.signature_hash_algorithm))
            return True
        except Exception:
            return False
    except Exception:
        return False


class State(object):
    """What the store found: parsed objects, or None where a file is missing."""

    def __init__(self, ca_cert=None, ca_key=None, certs=None, keys=None, crl=None, revoked=None):
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.certs = certs or {}      # name -> x509.Certificate
        self.keys = keys or {}        # name -> private key (or True when present but not parsed)
        self.crl = crl
        self.revoked = revoked or {}  # str(serial) -> {"name": name, "date": iso}

    def revoked_names(self):
        return set(v["name"] for v in self.revoked.values())


class Plan(object):
    def __init__(self):
        self.create_ca = False
        self.issue = []       # (name, reason)
        self.revoke = []      # (name, serial)
        self.crl = None       # reason or None
        self.warnings = []

    @property
    def changed(self):
        return bool(self.create_ca or self.issue or self.revoke or self.crl)


def cert_reasons(spec_cert, cert, has_key, ca_cert, now, renew_before_days):
    """Why ``cert`` no longer satisfies ``spec_cert`` (empty list: it does)."""
    if cert is None:
        return ["missing"]
    reasons = []
    if not has_key:
        reasons.append("private key missing")
    if ca_cert is None or not issued_by(cert, ca_cert):
        reasons.append("not issued by the current CA")
    if _cn(cert) != spec_cert.common_name:
        reasons.append("common name %r -> %r" % (_cn(cert), spec_cert.common_name))
    if cert_sans(cert) != spec_cert.sans:
        reasons.append("SANs changed")
    if cert_usage(cert) != spec_cert.usage:
        reasons.append("usage %s -> %s" % (cert_usage(cert), spec_cert.usage))
    if key_describe(cert.public_key()) != spec_cert.key.describe():
        reasons.append("key %s -> %s" % (key_describe(cert.public_key()), spec_cert.key.describe()))
    if cert_validity_days(cert) != spec_cert.validity_days:
        reasons.append("validity %dd -> %dd" % (cert_validity_days(cert), spec_cert.validity_days))
    left = not_after(cert) - now
    if left <= datetime.timedelta(days=renew_before_days):
        reasons.append("expires %s, within the %d-day renewal window"
                       % (not_after(cert).date().isoformat(), renew_before_days))
    return reasons


def plan(spec, state, now=None):
    now = now or utcnow()
    p = Plan()
    if state.ca_cert is not None:
        if not_after(state.ca_cert) <= now:
            raise SpecError("ca", "the CA certificate %r expired on %s; nothing can be issued or "
                                  "revoked with it (move the CA directory away to start a new CA)"
                            % (_cn(state.ca_cert), not_after(state.ca_cert).isoformat()))
        if state.ca_key is None:
            raise SpecError("ca", "the CA certificate exists but its private key is missing")
        if describe_ca(state.ca_cert).split(" validity")[0] != (
                "CN=%s key=%s" % (spec.ca.common_name, spec.ca.key.describe())):
            p.warnings.append("the existing CA (%s) differs from ca (CN=%s key=%s); it is kept, "
                              "as replacing it would invalidate every certificate"
                              % (describe_ca(state.ca_cert), spec.ca.common_name,
                                 spec.ca.key.describe()))
        for c in spec.certificates:
            if now + datetime.timedelta(days=c.validity_days) > not_after(state.ca_cert):
                p.warnings.append("certificate %r would outlive the CA; its validity is cut "
                                  "to the CA's end" % c.name)
    else:
        p.create_ca = True
    ca_cert = None if p.create_ca else state.ca_cert
    for c in spec.certificates:
        reasons = cert_reasons(c, state.certs.get(c.name), c.name in state.keys, ca_cert, now,
                               spec.renew_before_days)
        if reasons:
            p.issue.append((c.name, "; ".join(reasons)))
    for name in spec.revoke:
        cert = state.certs.get(name)
        if cert is not None:
            p.revoke.append((name, cert.serial_number))
        elif name not in state.revoked_names():
            p.warnings.append("revoke: no certificate %r was ever issued here; nothing to revoke" % name)
    if p.create_ca:
        p.crl = "new CA"
    elif p.revoke:
        p.crl = "revocations"
    elif state.crl is None:
        p.crl = "missing"
    elif state.crl.issuer != state.ca_cert.subject:
        p.crl = "not issued by the current CA"
    else:
        nu = next_update(state.crl)
        if nu is None or nu - now <= datetime.timedelta(days=spec.crl_validity_days / 2.0):
            p.crl = "next update due"
    return p


# ---------------------------------------------------------------- building

def new_key(key_spec):
    if key_spec.key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_spec.key_size)
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(cn, org=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def build_ca(ca_spec, now):
    key = new_key(ca_spec.key)
    name = _name(ca_spec.common_name, ca_spec.organization)
    start = now - BACKDATE
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + BACKDATE + datetime.timedelta(days=ca_spec.validity_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _san_objects(sans):
    out = []
    for s in sans:
        kind, _sep, value = s.partition(":")
        out.append(x509.IPAddress(ipaddress.ip_address(value)) if kind == "IP" else x509.DNSName(value))
    return out


def build_cert(cert_spec, ca_cert, ca_key, now):
    key = new_key(cert_spec.key)
    start = now - BACKDATE
    end = min(start + BACKDATE + datetime.timedelta(days=cert_spec.validity_days), not_after(ca_cert))
    server = cert_spec.usage == "server"
    builder = (x509.CertificateBuilder().subject_name(_name(cert_spec.common_name))
               .issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=cert_spec.key.key_type == "rsa",
                                            data_encipherment=False,
                                            key_agreement=cert_spec.key.key_type == "ecdsa",
                                            key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                     else ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                              critical=False))
    if cert_spec.sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san_objects(cert_spec.sans)),
                                        critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def build_crl(ca_cert, ca_key, revoked, now, validity_days):
    """``revoked``: str(serial) -> {"name", "date"} (every revocation ever made by this CA)."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now - BACKDATE).next_update(now + datetime.timedelta(days=validity_days)))
    for serial in sorted(revoked, key=int):
        date = datetime.datetime.fromisoformat(revoked[serial]["date"])
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(serial))
            .revocation_date(date).build())
    return builder.sign(ca_key, hashes.SHA256())


class Result(object):
    """Everything the store writes: PEM bytes per file, plus the new revocation index."""

    def __init__(self):
        self.ca_cert = None
        self.ca_key = None
        self.certs = {}   # name -> (cert, key)
        self.crl = None
        self.revoked = None


def execute(p, spec, state, now=None):
    now = now or utcnow()
    res = Result()
    if p.create_ca:
        ca_cert, ca_key = build_ca(spec.ca, now)
        res.ca_cert, res.ca_key = ca_cert, ca_key
        revoked = {}
    else:
        ca_cert, ca_key = state.ca_cert, state.ca_key
        revoked = dict(state.revoked)
    for name, _reason in p.issue:
        cert_spec = [c for c in spec.certificates if c.name == name][0]
        res.certs[name] = build_cert(cert_spec, ca_cert, ca_key, now)
    if p.revoke:
        for name, serial in p.revoke:
            revoked[str(serial)] = {"name": name, "date": now.replace(microsecond=0).isoformat()}
    res.revoked = revoked
    if p.crl:
        res.crl = build_crl(ca_cert, ca_key, revoked, now, spec.crl_validity_days)
    return res
