"""Password hashing with argon2id at (at least) OWASP's minimum parameters."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from traceability.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 is the minimum; we use it
# with a little more memory, since bench/ measures ~25 ms per hash on the 2-core machine.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


class WeakPassword(ValidationFailed):
    code = "weak_password"
    message_vi = "Mật khẩu phải có từ 12 đến 128 ký tự."
    message_en = "The password must be 12 to 128 characters long."


def check_policy(password: str) -> None:
    """Length only (NIST SP 800-63B): no composition rules that push people to worse passwords."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword()


def hash_password(password: str) -> str:
    check_policy(password)
    return HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not-a-real-password-for-timing")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-ish time: unknown users still cost one hash, so timing reveals no usernames."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)
