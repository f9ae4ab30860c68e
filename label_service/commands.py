"""`lpgtrace keys ...`: create, rotate, retire, revoke and list station signing keys."""

from __future__ import annotations

import datetime as dt
import getpass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from label_service import keys, keys_public
from traceability.db import Database
from traceability.models import Facility, SigningKey
from traceability.models.enums import Role
from traceability.permissions import Principal


def _principal() -> Principal:
    """The operator at the console acts as a department administrator; the audit log names them."""
    return Principal(role=Role.ADMIN, organisation_id=0, name=f"cli:{getpass.getuser()}")


def _db() -> Database:
    db: Database = current_app.extensions["lpg_db"]
    return db


def _station_id(code: str) -> int:
    with _db().read() as session:
        station_id = session.scalar(select(Facility.id).where(Facility.code == code))
    if station_id is None:
        raise click.ClickException(f"no facility with code {code!r}")
    return station_id


def _key_pk(kid: str) -> int:
    with _db().read() as session:
        key_pk = session.scalar(select(SigningKey.id).where(SigningKey.kid == kid))
    if key_pk is None:
        raise click.ClickException(f"no signing key with kid {kid!r}")
    return key_pk


def _stamp(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "-"


def _echo(key: SigningKey, prefix: str = "") -> None:
    click.echo(
        f"{prefix}{key.kid}  key_id={key.key_id.hex()}  station_id={key.station_id}  {key.status}"
        f"  valid_from={_stamp(key.valid_from)}  retired_at={_stamp(key.retired_at)}"
        f"  compromised_at={_stamp(key.compromised_at)}"
    )


def _instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-12-04T08:00:00+07:00")
    return moment


def _fail_cleanly(action):  # type: ignore[no-untyped-def]
    from traceability.errors import DomainError

    try:
        return action()
    except DomainError as error:
        raise click.ClickException(
            f"{error.code}: {error.message_en} {error.detail or ''}"
        ) from None


@click.group("keys")
def keys_group() -> None:
    """Station signing keys (Ed25519); private keys never leave the server."""


@keys_group.command("create")
@click.option("--station", "station_code", required=True, help="Facility code of the station")
@click.option("--valid-from", default=None, help="ISO-8601 with offset; default now")
@with_appcontext
def create(station_code: str, valid_from: str | None) -> None:
    """Give a station an active key (it must not have one)."""
    keyring = current_app.extensions["lpg_keyring"]
    key = _fail_cleanly(
        lambda: keys.create_key(
            _db(), keyring, _principal(), _station_id(station_code), _instant(valid_from)
        )
    )
    _echo(key, "created ")


@keys_group.command("rotate")
@click.option("--station", "station_code", required=True, help="Facility code of the station")
@with_appcontext
def rotate(station_code: str) -> None:
    """Retire the station's active key and create its successor."""
    keyring = current_app.extensions["lpg_keyring"]
    key = _fail_cleanly(
        lambda: keys.rotate_key(_db(), keyring, _principal(), _station_id(station_code))
    )
    _echo(key, "active ")


# A kid is base64url: one in 64 starts with "-", which must not be read as an option.
KID_ARGUMENT = {"ignore_unknown_options": True}


@keys_group.command("retire", context_settings=KID_ARGUMENT)
@click.argument("kid")
@with_appcontext
def retire(kid: str) -> None:
    """Stop KID signing; labels it signed stay valid."""
    key = _fail_cleanly(lambda: keys.retire_key(_db(), _principal(), _key_pk(kid)))
    _echo(key, "retired ")


@keys_group.command("revoke", context_settings=KID_ARGUMENT)
@click.argument("kid")
@click.option("--compromised-at", default=None, help="ISO-8601 with offset; default now")
@click.option("--reason", default=None)
@click.option("--replace/--no-replace", default=False, help="Also create a new active key")
@with_appcontext
def revoke(kid: str, compromised_at: str | None, reason: str | None, replace: bool) -> None:
    """Revoke a compromised KID: labels signed at or after --compromised-at are rejected."""
    keyring = current_app.extensions["lpg_keyring"]
    revoked, successor = _fail_cleanly(
        lambda: keys.revoke_key(
            _db(), keyring, _principal(), _key_pk(kid), _instant(compromised_at), reason, replace
        )
    )
    _echo(revoked, "revoked ")
    if successor is not None:
        _echo(successor, "active ")


@keys_group.command("list")
@click.option("--station", "station_code", default=None, help="Only this station's keys")
@with_appcontext
def list_command(station_code: str | None) -> None:
    """List keys, newest first (public halves only)."""
    station_id = _station_id(station_code) if station_code else None
    page = keys_public.list_keys(_db(), _principal(), station_id=station_id, per_page=200)
    for key in page.items:
        _echo(key)
    click.echo(f"{page.total} key(s)")


def register(cli_group: click.Group) -> None:
    cli_group.add_command(keys_group)
