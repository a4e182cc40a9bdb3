"""Standard Webhooks signatures (symmetric, `v1`): what lets a receiver verify and de-duplicate.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`, signed with HMAC-SHA256 under
the base64-decoded part of a `whsec_…` secret; the signature travels base64-encoded as
`webhook-signature: v1,<signature>`. `webhook-id` is the alert's id, the same on every retry,
and `webhook-timestamp` the time of each attempt in seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24  # the specification: "at least 24 bytes (192 bits, 512 maximum)"
MAX_KEY_BYTES = 64


def parse_secret(secret: str) -> bytes:
    """The signing key inside `whsec_<base64>`; ValueError (never quoting it) if malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f'must start with "{SECRET_PREFIX}" (a Standard Webhooks secret)')
    encoded = secret[len(SECRET_PREFIX):].strip()
    encoded += "=" * (-len(encoded) % 4)  # generators often drop the padding
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f'must be "{SECRET_PREFIX}" followed by base64') from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"must hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} random bytes once base64-decoded"
            f" (it holds {len(key)})"
        )
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{msg_id}.{timestamp}.{body}` under `key`."""
    if not msg_id or "." in msg_id:
        # The specification forbids "." in the id: it would make the signed content ambiguous.
        raise ValueError("a webhook id must be non-empty and contain no '.'")
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three `webhook-*` request headers for one attempt at sending `body`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, msg_id, timestamp, body),
    }
