"""Ad-hoc and scheduled backups, and restore to a chosen version (SQLite file or pg_dump)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Backup:
    path: Path
    created_at: dt.datetime
    size: int


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _pg_args(database_url: str) -> tuple[list[str], dict[str, str]]:
    url = make_url(database_url)
    args = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        url.database or "",
    ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(tool: str, *args: str, env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool found on PATH, with a fixed argument list and no shell."""
    executable = shutil.which(tool)
    if executable is None:
        raise RuntimeError(f"{tool} is not installed (apt-get install postgresql-client)")
    subprocess.run([executable, *args], check=True, env=env)  # noqa: S603 - no shell, fixed argv


def create_backup(database_url: str, directory: Path) -> Backup:
    """A consistent copy while the app keeps running (SQLite online backup API, or pg_dump -Fc)."""
    directory.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        source_path = make_url(database_url).database or ""
        target = directory / f"lpgtrace-{_stamp()}.sqlite3"
        with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()
    else:
        target = directory / f"lpgtrace-{_stamp()}.pgdump"
        args, env = _pg_args(database_url)
        _run("pg_dump", "--format=custom", "--file", str(target), *args, env=env)
    target.chmod(0o600)
    return describe(target)


def describe(path: Path) -> Backup:
    stat = path.stat()
    return Backup(path, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC), stat.st_size)


def list_backups(directory: Path) -> list[Backup]:
    """Newest first, so a restore can pick 'the version before yesterday's mistake'."""
    if not directory.exists():
        return []
    files = [p for p in directory.glob("lpgtrace-*") if p.suffix in (".sqlite3", ".pgdump")]
    return sorted((describe(p) for p in files), key=lambda b: b.path.name, reverse=True)


def restore_backup(database_url: str, backup: Path) -> None:
    """Replace the database with a backup; stop the app first (documented in docs/operations.md)."""
    if database_url.startswith("sqlite"):
        if backup.suffix != ".sqlite3":
            raise ValueError("a SQLite database restores only from a .sqlite3 backup")
        target = Path(make_url(database_url).database or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, target)
        return
    if backup.suffix != ".pgdump":
        raise ValueError("PostgreSQL restores only from a .pgdump backup")
    args, env = _pg_args(database_url)
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        *args,
        str(backup),
        env=env,
    )
