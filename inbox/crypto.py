"""The webhook secret encrypted at rest, with a key derived from SECRET_KEY.

`cryptography` is not a dependency, so this is the standard library's HMAC-SHA256 used
as a stream cipher (keystream = HMAC(k_enc, nonce ‖ counter)) with encrypt-then-MAC
(tag = HMAC(k_mac, nonce ‖ ciphertext)), a fresh 16-byte nonce per secret. Keys from
SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY does not lose the secret
(`install --rotate` then re-encrypts it under the new key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from django.conf import settings

VERSION = "v1:"


class SecretUnreadable(Exception):
    """Not encrypted under SECRET_KEY or any of its fallbacks, or altered."""


def _keys(secret_key: str) -> tuple[bytes, bytes]:
    base = secret_key.encode()
    enc = hmac.new(base, b"oktodash.inbox.secret.enc", hashlib.sha256).digest()
    mac = hmac.new(base, b"oktodash.inbox.secret.mac", hashlib.sha256).digest()
    return enc, mac


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )[:length]


def encrypt(plain: str) -> str:
    enc, mac = _keys(settings.SECRET_KEY)
    nonce = os.urandom(16)
    data = plain.encode()
    cipher = bytes(a ^ b for a, b in zip(data, _stream(enc, nonce, len(data)), strict=True))
    tag = hmac.new(mac, nonce + cipher, hashlib.sha256).digest()
    return VERSION + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def decrypt(token: str) -> str:
    if not token.startswith(VERSION):
        raise SecretUnreadable("unknown format")
    try:
        raw = base64.urlsafe_b64decode(token[len(VERSION) :])
    except ValueError:
        raise SecretUnreadable("not base64") from None
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    for secret_key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        enc, mac = _keys(secret_key)
        if hmac.compare_digest(hmac.new(mac, nonce + cipher, hashlib.sha256).digest(), tag):
            stream = _stream(enc, nonce, len(cipher))
            return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()
    raise SecretUnreadable("no key opens it")
