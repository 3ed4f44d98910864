"""Passwords to NIST SP 800-63B-4: argon2id hashes, a minimum length, a blocklist of common
passwords, no composition rules and no forced rotation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sunlight.errors import InvalidInput

BLOCKLIST = Path(__file__).with_name("common-passwords.txt")
MAX_LENGTH = 256  # long passphrases welcome; bounded so hashing stays cheap to refuse
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _HASHER.hash(password)  # same cost whether or not the account has a password
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_new_password(password: str, *, min_length: int, context: tuple[str, ...] = ()) -> None:
    """Refuse a new password that is too short, too long, or common/guessable."""
    if len(password) < min_length:
        raise InvalidInput(f"a password needs at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password may have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in _blocklist() or any(c and c.lower() in lowered for c in context if len(c) >= 4):
        raise InvalidInput("that password is too common or too easy to guess; choose another")
    if len(set(password)) <= 2:
        raise InvalidInput("that password is too easy to guess; choose another")


@cache
def _blocklist() -> frozenset[str]:
    text = BLOCKLIST.read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )
