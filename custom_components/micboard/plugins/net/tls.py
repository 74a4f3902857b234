"""Certificate pinning for devices that only have a self-signed certificate.

Wireless receivers (Sennheiser EW-DX, the Shure System API) serve HTTPS with a certificate no
authority signed, so a chain cannot be verified. Turning verification off would let anyone on
the network read the device password; instead the user confirms the certificate's SHA-256
fingerprint once (trust on first use) and every later request is pinned to it with
``aiohttp.Fingerprint``: a different certificate fails the handshake before any byte of the
request, credentials included, is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl

import aiohttp

from ..errors import (
    CannotConnect,
    CertificateChanged,
)

SHA256_BYTES = 32
_HEX = re.compile(r"[0-9a-f]{64}")


def _unverified_context() -> ssl.SSLContext:
    """Context used only to *read* a peer's certificate so it can be shown and pinned.

    No request and no credential is ever sent over a connection made with it.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def parse_fingerprint(text: str) -> bytes:
    """SHA-256 fingerprint from hex text, with or without colons, spaces or upper case."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    if not _HEX.fullmatch(cleaned):
        raise ValueError("a SHA-256 fingerprint is 64 hexadecimal digits")
    return bytes.fromhex(cleaned)


def format_fingerprint(digest: bytes) -> str:
    """Colon-separated upper-case hex, as browsers and device web pages show fingerprints."""
    return ":".join(f"{byte:02X}" for byte in digest)


def pinned(fingerprint: str | bytes) -> aiohttp.Fingerprint:
    """The ``ssl=`` argument for a request that must reach exactly this certificate."""
    digest = parse_fingerprint(fingerprint) if isinstance(fingerprint, str) else fingerprint
    return aiohttp.Fingerprint(digest)


class CertificatePin:
    """The confirmed certificate of one device, and what follows once it is not presented.

    After one mismatch nothing more is sent to the device, not even a request that would
    carry the password, until the user confirms the new certificate: every later request
    raises the same repair.
    """

    def __init__(self, host: str, port: int, fingerprint: str | bytes) -> None:
        """Pin requests to ``host``:``port`` to ``fingerprint``."""
        self.host = host
        self.port = port
        self.ssl = pinned(fingerprint)
        self.error: CertificateChanged | None = None

    def check(self) -> None:
        """Raise the mismatch again if the certificate was found changed."""
        if (known := self.error) is not None:
            raise CertificateChanged(
                str(known), host=known.host, expected=known.expected, received=known.received
            )

    def changed(self, err: aiohttp.ServerFingerprintMismatch) -> CertificateChanged:
        """Remember the mismatch; the error to raise."""
        self.error = CertificateChanged(
            f"{self.host}:{self.port} presented a different TLS certificate",
            host=self.host,
            expected=format_fingerprint(err.expected),
            received=format_fingerprint(err.got),
        )
        return self.error


async def fetch_fingerprint(host: str, port: int, time_limit: float = 10.0) -> bytes:
    """SHA-256 of the DER certificate the peer presents; :class:`CannotConnect` if none.

    A bare TLS handshake: the connection is closed as soon as the certificate is read.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(time_limit):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=_unverified_context(), server_hostname=host
            )
            der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    except (OSError, TimeoutError, ssl.SSLError) as err:
        raise CannotConnect(f"TLS handshake with {host}:{port} failed: {err!r}") from err
    finally:
        if writer is not None:
            # Nothing was exchanged, so there is nothing to shut down politely; a TLS close
            # handshake could keep the caller waiting on a slow device for half a minute.
            writer.transport.abort()
    if not der:  # pragma: no cover  TLS without a certificate (anonymous ciphers) is off
        raise CannotConnect(f"{host}:{port} presented no certificate")
    return hashlib.sha256(der).digest()
