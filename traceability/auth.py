"""Logins, JWT access tokens, rotating refresh tokens and device API keys."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traceability import audit
from traceability.crypto import sha256_hex
from traceability.db import Database, utcnow
from traceability.errors import AccountLocked, InvalidCredentials, Unauthenticated
from traceability.models import AuthSession, DeviceKey, RefreshToken, User
from traceability.models.enums import Role
from traceability.passwords import hash_password, needs_rehash, verify_password
from traceability.permissions import Principal

log = logging.getLogger("lpgtrace.auth")
ALGORITHM = "HS256"
LOCK_AFTER_FAILURES = 5
API_KEY_PREFIX = "lpg_"


@dataclass(frozen=True)
class AuthSettings:
    secret: str
    audience: str
    issuer: str
    access_minutes: int = 15
    refresh_days: int = 14


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret


def issue_access_token(settings: AuthSettings, user: User, session_id: str) -> str:
    now = utcnow()
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(user.id),
        "sid": session_id,
        "typ": "access",
        "role": user.role,
        "org": user.organisation_id,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.access_minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def _new_refresh(session: Session, settings: AuthSettings, session_id: str) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            session_id=session_id,
            token_hash=sha256_hex(raw),
            expires_at=utcnow() + dt.timedelta(days=settings.refresh_days),
        )
    )
    return raw


def _lockout_delay(failures: int) -> dt.timedelta:
    """Soft lockout that grows with each failure past the threshold, capped at 15 minutes."""
    return dt.timedelta(seconds=min(900, 2 ** max(0, failures - LOCK_AFTER_FAILURES) * 15))


def login(
    db: Database,
    settings: AuthSettings,
    username: str,
    password: str,
    context: Principal | None = None,
) -> TokenPair:
    """Check a password and open a login session; failures count towards a growing lockout."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            raise AccountLocked(retry_after=int((user.locked_until - now).total_seconds()) + 1)
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            if user is not None:
                user.failed_logins += 1
                if user.failed_logins >= LOCK_AFTER_FAILURES:
                    user.locked_until = now + _lockout_delay(user.failed_logins)
                audit.record(
                    session,
                    context,
                    "login_failed",
                    "user",
                    user.id,
                    organisation_id=user.organisation_id,
                )
            failed = InvalidCredentials()
        else:
            failed = None
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            session_id = uuid.uuid4().hex
            session.add(AuthSession(id=session_id, user_id=user.id))
            session.flush()
            refresh = _new_refresh(session, settings, session_id)
            access = issue_access_token(settings, user, session_id)
            audit.record(
                session, context, "login", "user", user.id, organisation_id=user.organisation_id
            )
    if failed is not None:
        log.warning(
            "login failed for username %r from %s",
            username[:64],
            context.client_ip if context else None,
        )
        raise failed
    return TokenPair(access, refresh, settings.access_minutes * 60)


def refresh(db: Database, settings: AuthSettings, raw_token: str) -> TokenPair:
    """Rotate a refresh token; presenting a used one revokes the whole family (theft signal)."""
    with db.transaction() as session:
        token = session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(raw_token))
        )
        if token is None:
            raise Unauthenticated("unknown refresh token")
        login_session = session.get(AuthSession, token.session_id)
        assert login_session is not None
        now = utcnow()
        reused = token.used_at is not None
        if reused and login_session.revoked_at is None:
            login_session.revoked_at = now
            login_session.revoked_reason = "refresh_token_reuse"
        claimed = session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        user = login_session.user
        valid = (
            not reused
            and claimed == 1
            and login_session.revoked_at is None
            and token.expires_at > now
            and user.active
        )
        if valid:
            new_refresh = _new_refresh(session, settings, login_session.id)
            access = issue_access_token(settings, user, login_session.id)
    if not valid:
        raise Unauthenticated("refresh token expired, reused or revoked")
    return TokenPair(access, new_refresh, settings.access_minutes * 60)


def logout(db: Database, principal: Principal) -> None:
    """End the caller's login session: its access and refresh tokens stop working."""
    with db.transaction() as session:
        if principal.session_id:
            login_session = session.get(AuthSession, principal.session_id)
            if login_session and login_session.revoked_at is None:
                login_session.revoked_at = utcnow()
                login_session.revoked_reason = "logout"
        audit.record(
            session,
            principal,
            "logout",
            "user",
            principal.user_id,
            organisation_id=principal.organisation_id,
        )


def decode_access_token(settings: AuthSettings, token: str) -> dict[str, Any]:
    """Signature first, then the algorithm allow-list, expiry, audience, issuer and token type."""
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "sub", "sid", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid access token: {exc}") from None
    if claims.get("typ") != "access":
        raise Unauthenticated("not an access token")
    return claims


def principal_from_access_token(
    session: Session, settings: AuthSettings, token: str, **context: Any
) -> Principal:
    """Resolve a bearer token to its user, refusing disabled users and ended sessions."""
    claims = decode_access_token(settings, token)
    row = session.execute(
        select(User, AuthSession.revoked_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(User.id == int(claims["sub"]), AuthSession.id == claims["sid"])
    ).first()
    if row is None or row[1] is not None or not row[0].active:
        raise Unauthenticated("session ended or account disabled")
    user = row[0]
    return Principal(
        role=Role(user.role),
        organisation_id=user.organisation_id,
        facility_id=user.facility_id,
        user_id=user.id,
        name=user.username,
        session_id=claims["sid"],
        **context,
    )


def create_device_key(
    session: Session,
    *,
    name: str,
    role: Role,
    organisation_id: int,
    facility_id: int,
    created_by: int | None,
) -> tuple[DeviceKey, str]:
    """A new API key; the full secret is returned once and only its hash is kept."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = DeviceKey(
        prefix=prefix,
        secret_hash=sha256_hex(secret),
        name=name,
        role=role,
        organisation_id=organisation_id,
        facility_id=facility_id,
        created_by_id=created_by,
    )
    session.add(key)
    session.flush()
    return key, f"{API_KEY_PREFIX}{prefix}.{secret}"


def principal_from_api_key(session: Session, raw: str, **context: Any) -> Principal:
    """Resolve `lpg_<prefix>.<secret>` to its device, refusing revoked keys."""
    body = raw.removeprefix(API_KEY_PREFIX)
    prefix, _, secret = body.partition(".")
    key = session.scalar(select(DeviceKey).where(DeviceKey.prefix == prefix)) if secret else None
    if (
        key is None
        or key.revoked_at is not None
        or not secrets.compare_digest(key.secret_hash, sha256_hex(secret))
    ):
        raise Unauthenticated("invalid or revoked API key")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        key.last_used_at = now
        session.commit()
    return Principal(
        role=Role(key.role),
        organisation_id=key.organisation_id,
        facility_id=key.facility_id,
        device_id=key.id,
        name=f"device:{key.name}",
        **context,
    )
