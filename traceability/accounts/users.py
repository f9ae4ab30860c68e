"""User accounts: the department manages everyone; a trader manages its own organisation's
trader, station and shop accounts. Passwords never leave this module except as argon2id hashes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database, utcnow
from traceability.errors import Conflict, Forbidden, NotFound, ValidationFailed
from traceability.models import AuthSession, Facility, Organisation, User
from traceability.models.enums import FacilityKind, Role
from traceability.passwords import check_policy, hash_password, verify_password
from traceability.permissions import Principal
from traceability.registry import etag, flush_or_conflict
from traceability.registry.search import Page, paginate, words_match

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
TRADER_MANAGED_ROLES = frozenset({Role.TRADER, Role.STATION, Role.SHOP})
AUTHORITY_ONLY_ROLES = frozenset({Role.ADMIN, Role.INSPECTOR})
FACILITY_KIND_OF_ROLE = {
    Role.STATION: FacilityKind.FILLING_STATION,
    Role.SHOP: FacilityKind.RETAIL_SHOP,
}
PROFILE_FIELDS = ("display_name", "email", "role", "facility_id", "active")


class UsernameTaken(Conflict):
    code = "username_taken"
    message_vi = "Tên đăng nhập đã được dùng."
    message_en = "This username is already taken."


class InvalidUsername(ValidationFailed):
    code = "invalid_username"
    message_vi = "Tên đăng nhập gồm 3–64 ký tự thường: chữ, số, '.', '_', '@', '-'."
    message_en = "A username is 3–64 lower-case letters, digits, '.', '_', '@' or '-'."


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    message_vi = "Bạn không được cấp vai trò này."
    message_en = "You may not grant this role."


class RoleOrganisationMismatch(ValidationFailed):
    code = "role_organisation_mismatch"
    message_vi = (
        "Vai trò quản trị và thanh tra chỉ dành cho cơ quan quản lý; vai trò khác cho doanh nghiệp."
    )
    message_en = "Admin and inspector roles belong to the department; other roles to traders."


class FacilityMismatch(ValidationFailed):
    code = "facility_mismatch"
    message_vi = (
        "Cơ sở không thuộc tổ chức hoặc không đúng loại cho vai trò (trạm chiết / cửa hàng)."
    )
    message_en = "The facility is not the organisation's, or not the kind the role needs."


class CannotChangeSelf(Conflict):
    code = "cannot_change_own_access"
    message_vi = "Không thể tự khoá tài khoản hay đổi vai trò của chính mình."
    message_en = "You cannot disable your own account or change your own role."


class WrongCurrentPassword(ValidationFailed):
    code = "wrong_current_password"
    message_vi = "Mật khẩu hiện tại không đúng."
    message_en = "The current password is wrong."


class NotAPerson(Forbidden):
    code = "not_a_user"
    message_vi = "Thiết bị không có mật khẩu để đổi."
    message_en = "Devices have no password to change."


def describe_user(user: User) -> dict[str, Any]:
    """The API's view of an account: never the password hash or lockout internals."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "facility_id": user.facility_id,
        "active": user.active,
        "locked": bool(user.locked_until and user.locked_until > utcnow()),
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "version": user.version,
    }


def _ensure_may_grant(principal: Principal, role: str) -> None:
    if principal.role != Role.ADMIN and role not in TRADER_MANAGED_ROLES:
        raise RoleNotAllowed(f"you may not grant the role {role}")


def _check_placement(
    session: Session, org: Organisation, role: str, facility_id: int | None
) -> None:
    """Department roles in the department; station/shop users need their own org's facility."""
    if (role in AUTHORITY_ONLY_ROLES) != org.is_authority:
        raise RoleOrganisationMismatch()
    needed = FACILITY_KIND_OF_ROLE.get(Role(role))
    if facility_id is None:
        if needed is not None:
            raise FacilityMismatch(f"a {role} account needs a facility of kind {needed}")
        return
    facility = session.get(Facility, facility_id)
    if facility is None or facility.organisation_id != org.id:
        raise FacilityMismatch("the facility does not belong to the account's organisation")
    if needed is not None and facility.kind != needed:
        raise FacilityMismatch(f"a {role} account needs a facility of kind {needed}")


def _managed_user(session: Session, principal: Principal, user_id: int, lock: bool) -> User:
    user = (
        etag.load_for_update(session, User, user_id, "user") if lock else session.get(User, user_id)
    )
    if user is None:
        raise NotFound("user not found")
    principal.ensure_read_org(user.organisation_id, "user")
    if principal.role != Role.ADMIN and user.role not in TRADER_MANAGED_ROLES:
        raise NotFound("user not found")
    return user


def revoke_sessions(session: Session, user_id: int, reason: str, keep: str | None = None) -> int:
    """End a user's login sessions so its access and refresh tokens stop working at once."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    return session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason)).rowcount or 0


def list_users(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    organisation_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Page:
    """Accounts the caller manages: all for an admin, its own organisation's for a trader."""
    stmt = select(User)
    if principal.role != Role.ADMIN:
        stmt = stmt.where(
            User.organisation_id == principal.organisation_id,
            User.role.in_([role.value for role in TRADER_MANAGED_ROLES]),
        )
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if q:
        stmt = stmt.where(*words_match(User.username, q.lower()))
    with db.read() as session:
        return paginate(session, stmt.order_by(User.id), page, per_page, describe_user)


def get_user(db: Database, principal: Principal, user_id: int) -> dict[str, Any]:
    with db.read() as session:
        return describe_user(_managed_user(session, principal, user_id, lock=False))


def create_user(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Open an account with an initial password (12–128 characters, stored as argon2id)."""
    username = data["username"]
    if not USERNAME.fullmatch(username):
        raise InvalidUsername()
    _ensure_may_grant(principal, data["role"])
    org_id = data.get("organisation_id") or principal.organisation_id
    principal.ensure_write_org(org_id, "organisation")
    check_policy(data["password"])
    password_hash = hash_password(data["password"])
    with db.transaction() as session:
        org = session.get(Organisation, org_id)
        if org is None:
            raise NotFound("organisation not found")
        _check_placement(session, org, data["role"], data.get("facility_id"))
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise UsernameTaken()
        user = User(
            username=username,
            password_hash=password_hash,
            display_name=data["display_name"],
            email=data.get("email"),
            role=data["role"],
            organisation_id=org.id,
            facility_id=data.get("facility_id"),
            active=True,
        )
        session.add(user)
        flush_or_conflict(session, UsernameTaken())
        fields = ("username", "display_name", "email", "role", "organisation_id", "facility_id")
        audit.record(
            session,
            principal,
            "create",
            "user",
            user.id,
            {**audit.snapshot(user, fields), "password": "set"},
            organisation_id=org.id,
        )
        return describe_user(user)


def update_user(
    db: Database,
    principal: Principal,
    user_id: int,
    changes: dict[str, Any],
    accepted_versions: frozenset[int] | None = None,
) -> dict[str, Any]:
    """Change profile, role, facility or active flag; disabling ends every session at once."""
    with db.transaction() as session:
        user = _managed_user(session, principal, user_id, lock=True)
        if accepted_versions is not None:
            etag.ensure_current(user, accepted_versions)
        role = changes.get("role", user.role)
        _ensure_may_grant(principal, role)
        if user.id == principal.user_id and (changes.get("active") is False or role != user.role):
            raise CannotChangeSelf()
        org = session.get(Organisation, user.organisation_id)
        assert org is not None
        _check_placement(session, org, role, changes.get("facility_id", user.facility_id))
        changed = audit.apply_changes(
            user, {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
        )
        if changed.get("active", {}).get("new") is False:
            changed["sessions_revoked"] = revoke_sessions(session, user.id, "user_disabled")
        etag.bump(user, changed)
        if changed:
            audit.record(
                session,
                principal,
                "update",
                "user",
                user.id,
                changed,
                organisation_id=user.organisation_id,
            )
        session.flush()
        return describe_user(user)


def reset_password(db: Database, principal: Principal, user_id: int, password: str) -> None:
    """An administrator (or the user's trader) sets a new password; all its sessions end."""
    password_hash = hash_password(password)
    with db.transaction() as session:
        user = _managed_user(session, principal, user_id, lock=True)
        principal.ensure_write_org(user.organisation_id, "user")
        if user.id == principal.user_id:
            raise CannotChangeSelf("change your own password with POST /api/v1/auth/password")
        user.password_hash = password_hash
        user.failed_logins = 0
        user.locked_until = None
        user.version += 1
        revoked = revoke_sessions(session, user.id, "password_reset")
        audit.record(
            session,
            principal,
            "password_reset",
            "user",
            user.id,
            {"password": "changed", "sessions_revoked": revoked},
            organisation_id=user.organisation_id,
        )


def change_own_password(db: Database, principal: Principal, current: str, new: str) -> None:
    """A person changes its own password; its other login sessions end, this one stays."""
    if principal.user_id is None:
        raise NotAPerson()
    check_policy(new)
    with db.transaction() as session:
        user = session.get(User, principal.user_id)
        assert user is not None
        if not verify_password(user.password_hash, current):
            audit.record(
                session,
                principal,
                "password_change_failed",
                "user",
                user.id,
                organisation_id=user.organisation_id,
            )
            failed = True
        else:
            failed = False
            user.password_hash = hash_password(new)
            user.version += 1
            revoked = revoke_sessions(
                session, user.id, "password_changed", keep=principal.session_id
            )
            audit.record(
                session,
                principal,
                "password_change",
                "user",
                user.id,
                {"password": "changed", "sessions_revoked": revoked},
                organisation_id=user.organisation_id,
            )
    if failed:
        raise WrongCurrentPassword()
