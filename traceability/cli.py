"""The `lpgtrace` command: database migrations, demo data, accounts, keys and housekeeping."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from traceability import backup, migrate

# Each package may contribute commands through `<package>.commands.register(cli_group)`.
COMMAND_PACKAGES = (
    "traceability.labels",
    "traceability.seed",
    "label_service",
    "verify_api",
    "admin",
)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is at " + revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the applied revision."""
    migrate.current(current_app.config["DATABASE_URL"])


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--display-name", default="Quản trị hệ thống")
@click.password_option(envvar="LPG_ADMIN_PASSWORD")
@with_appcontext
def create_admin(username: str, display_name: str, password: str) -> None:
    """Create a department administrator (prompts for the password)."""
    from traceability.models import Organisation, User
    from traceability.models.enums import Role, TradeRole
    from traceability.passwords import hash_password

    db = current_app.extensions["lpg_db"]
    with db.transaction() as session:
        if session.scalar(select(User).where(User.username == username)):
            raise click.ClickException(f"user {username!r} already exists")
        department = session.scalar(select(Organisation).where(Organisation.is_authority))
        if department is None:
            department = Organisation(
                name="Sở Công Thương",
                name_search="so cong thuong",
                trade_roles=[TradeRole.AUTHORITY],
                is_authority=True,
            )
            session.add(department)
            session.flush()
        session.add(
            User(
                username=username,
                password_hash=hash_password(password),
                display_name=display_name,
                role=Role.ADMIN,
                organisation_id=department.id,
            )
        )
    click.echo(f"administrator {username} created")


@click.command("backup")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="where backups go (default: instance/backups)",
)
@with_appcontext
def backup_command(directory: Path | None) -> None:
    """Take a backup now (schedule this command with cron or a systemd timer)."""
    made = backup.create_backup(current_app.config["DATABASE_URL"], directory or _backup_dir())
    click.echo(f"backup written: {made.path} ({made.size} bytes)")


@click.command("backups")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None)
@with_appcontext
def backups_command(directory: Path | None) -> None:
    """List backups, newest first."""
    for item in backup.list_backups(directory or _backup_dir()):
        click.echo(f"{item.path.name}  {item.created_at:%Y-%m-%d %H:%M}Z  {item.size} bytes")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_appcontext
def restore_command(backup_file: Path, yes: bool) -> None:
    """Replace the database with BACKUP_FILE (stop the server first)."""
    if not yes:
        click.confirm(f"Replace the current database with {backup_file.name}?", abort=True)
    backup.restore_backup(current_app.config["DATABASE_URL"], backup_file)
    click.echo(f"restored {backup_file.name}")


def _backup_dir() -> Path:
    return Path(current_app.instance_path) / "backups"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=2, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Run the app under gunicorn (production server) on HOST:PORT."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "wsgi:app",
    ]
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with gunicorn


def register(app: Flask) -> None:
    """Attach every command to the app's CLI (so `flask --app wsgi` works too)."""
    app.cli.add_command(db_group)
    app.cli.add_command(create_admin)
    app.cli.add_command(serve)
    for command in (backup_command, backups_command, restore_command):
        app.cli.add_command(command)
    for name in COMMAND_PACKAGES:
        try:
            module = importlib.import_module(f"{name}.commands")
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"{name}.commands"):
                raise
            continue
        module.register(app.cli)


def _create_app() -> Flask:
    from traceability.web.app import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    help="LPG Trace: registry, signed labels and verification.",
)
