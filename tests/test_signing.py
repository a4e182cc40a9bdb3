"""Standard Webhooks signing: the specification's test vector and the reference library."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notifiers.signing import parse_secret, sign, signature_headers

# The example published with the specification's reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def new_secret(size: int = 32) -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


class TestSpecificationVector:
    """The published example signs to exactly the published signature."""

    def test_vector(self) -> None:
        key = parse_secret(VECTOR_SECRET)
        assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE

    def test_each_signed_part_matters(self) -> None:
        key = parse_secret(VECTOR_SECRET)
        assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP + 1, VECTOR_BODY) != VECTOR_SIGNATURE
        assert sign(key, VECTOR_ID + "x", VECTOR_TIMESTAMP, VECTOR_BODY) != VECTOR_SIGNATURE
        assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY + b" ") != VECTOR_SIGNATURE

    def test_headers(self) -> None:
        headers = signature_headers(parse_secret(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP,
                                    VECTOR_BODY)
        assert headers == {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP),
                           "webhook-signature": VECTOR_SIGNATURE}


class TestReferenceLibrary:
    """What veille signs, the standardwebhooks package verifies."""

    @pytest.mark.parametrize("size", [24, 32, 64])
    def test_verifies(self, size: int) -> None:
        secret = new_secret(size)
        body = json.dumps({"title": "République de Corée · l’OTAN"}, ensure_ascii=False).encode()
        headers = signature_headers(parse_secret(secret), "a1b2c3", int(time.time()), body)
        assert Webhook(secret).verify(body, headers) == {"title": "République de Corée · l’OTAN"}

    def test_tampered_body_is_refused(self) -> None:
        secret = new_secret()
        headers = signature_headers(parse_secret(secret), "a1b2c3", int(time.time()), b"{}")
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(b'{"x":1}', headers)

    def test_other_secret_is_refused(self) -> None:
        headers = signature_headers(parse_secret(new_secret()), "a1", int(time.time()), b"{}")
        with pytest.raises(WebhookVerificationError):
            Webhook(new_secret()).verify(b"{}", headers)


class TestSecretFormat:
    """A secret is `whsec_` + base64 of 24–64 bytes; errors never quote it."""

    def test_unpadded_base64_is_accepted(self) -> None:
        raw = secrets.token_bytes(25)
        encoded = base64.b64encode(raw).decode().rstrip("=")
        assert parse_secret("whsec_" + encoded) == raw

    @pytest.mark.parametrize(
        ("secret", "reason"),
        [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"),
            ("whsec_not*base64!at@all", "base64"),
            ("whsec_" + base64.b64encode(b"s" * 16).decode(), "holds 16"),
            ("whsec_" + base64.b64encode(b"s" * 65).decode(), "holds 65"),
            ("whsec_", "holds 0"),
        ],
    )
    def test_malformed(self, secret: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason) as caught:
            parse_secret(secret)
        assert secret.removeprefix("whsec_") not in str(caught.value) or secret == "whsec_"

    @pytest.mark.parametrize("msg_id", ["", "a.b"])
    def test_ids_that_would_make_the_content_ambiguous(self, msg_id: str) -> None:
        with pytest.raises(ValueError, match="id"):
            sign(parse_secret(VECTOR_SECRET), msg_id, VECTOR_TIMESTAMP, b"{}")
