"""Shopify webhook HMAC: base64(HMAC-SHA256(client secret, raw body)), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable


def sign(body: bytes, secret: bytes | str) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify(body: bytes, header: str | None, secrets: Iterable[bytes]) -> bool:
    """True when ``header`` is a valid signature of ``body`` under any of ``secrets``.

    Several secrets are accepted because Shopify keeps signing with the old client secret for up
    to an hour after a rotation.
    """
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(given) != hashlib.sha256().digest_size:
        return False
    matched = False
    for secret in secrets:
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        # Check every secret so the time taken does not tell which one matched.
        matched |= hmac.compare_digest(expected, given)
    return matched
