"""Share tokens: 256 random bits, URL-safe; stored only as their SHA-256.

A slow password hash is not needed: the token is random and long, so the hash cannot be
reversed by guessing, and a fast hash lets each visit find its link by an index."""

import hashlib
import re
import secrets

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters of [A-Za-z0-9_-].
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_well_formed(token: str) -> bool:
    return bool(TOKEN_SHAPE.match(token))
