"""Self-signed certificates for simulated HTTPS devices.

Real receivers (Sennheiser EW-DX, Shure System API) present a self-signed certificate that the
client can only pin, never verify against a chain; the simulators do the same, with a fresh key
per start so a test can also "replace" the certificate the way a factory reset does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import ipaddress
from pathlib import Path
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class SelfSignedCertificate:
    """A PEM certificate and key, and the SHA-256 fingerprint of the DER certificate."""

    cert_pem: bytes
    key_pem: bytes
    sha256: bytes

    @property
    def fingerprint(self) -> str:
        """Colon-separated upper-case hex, the way browsers and the config flow show it."""
        return ":".join(f"{byte:02X}" for byte in self.sha256)


def generate_certificate(common_name: str, host: str = "127.0.0.1") -> SelfSignedCertificate:
    """A new P-256 key and a self-signed certificate for ``host`` (CPU-bound: run off-loop)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    try:
        alt_name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt_name = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([alt_name]), critical=False)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return SelfSignedCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        sha256=hashlib.sha256(der).digest(),
    )


def load_into(context: ssl.SSLContext, certificate: SelfSignedCertificate) -> None:
    """Make ``context`` present ``certificate`` on every new handshake (blocking file I/O).

    ``ssl`` only loads key material from files, so they live in a private temporary directory
    for the duration of the call.
    """
    with tempfile.TemporaryDirectory(prefix="micboard-sim-") as directory:
        cert_path = Path(directory) / "cert.pem"
        key_path = Path(directory) / "key.pem"
        cert_path.write_bytes(certificate.cert_pem)
        key_path.write_bytes(certificate.key_pem)
        key_path.chmod(0o600)
        context.load_cert_chain(cert_path, key_path)


def server_context(certificate: SelfSignedCertificate) -> ssl.SSLContext:
    """A TLS server context presenting ``certificate`` (blocking: run off-loop)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_into(context, certificate)
    return context
