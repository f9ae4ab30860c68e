"""Who may act: users, their login sessions and refresh tokens, device keys, and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.db import Base, intpk, str16, str32, str64, str128, str255, utc, utcnow


class User(Base):
    """A person's account, tied to one organisation and optionally one facility."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str64] = mapped_column(unique=True)
    password_hash: Mapped[str255]
    display_name: Mapped[str128]
    email: Mapped[str255 | None]
    role: Mapped[str16]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[utc | None]
    last_login_at: Mapped[utc | None]
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class AuthSession(Base):
    """One login: the family of rotating refresh tokens, revoked as a whole on reuse or logout."""

    __tablename__ = "auth_sessions"

    id: Mapped[str32] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    revoked_at: Mapped[utc | None]
    revoked_reason: Mapped[str64 | None]

    user: Mapped[User] = relationship()


class RefreshToken(Base):
    """A single-use refresh token, stored only as its SHA-256."""

    __tablename__ = "refresh_tokens"

    id: Mapped[intpk]
    session_id: Mapped[str32] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str64] = mapped_column(unique=True)
    issued_at: Mapped[utc] = mapped_column(default=utcnow)
    expires_at: Mapped[utc]
    used_at: Mapped[utc | None]


class DeviceKey(Base):
    """An API key for a station or shop device, scoped to one facility; the secret kept hashed."""

    __tablename__ = "device_keys"

    id: Mapped[intpk]
    prefix: Mapped[str16] = mapped_column(unique=True)
    secret_hash: Mapped[str64]
    name: Mapped[str128]
    role: Mapped[str16]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    revoked_at: Mapped[utc | None]
    last_used_at: Mapped[utc | None]


class AuditEntry(Base):
    """Who did what to which entity, when, from where: append-only."""

    __tablename__ = "audit_log"

    id: Mapped[intpk]
    at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_device_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str128 | None]
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str64]
    entity: Mapped[str32]
    entity_id: Mapped[str64 | None]
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_ip: Mapped[str64 | None]
    request_id: Mapped[str64 | None]


Index("ix_audit_log_entity", AuditEntry.entity, AuditEntry.entity_id)
