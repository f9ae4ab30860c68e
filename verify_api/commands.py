"""`lpgtrace purge-scans`: enforce the scan log's retention period."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from traceability.db import utcnow
from traceability.verification.scanlog import purge_scans, retention_cutoff


@click.command("purge-scans")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=None,
    help="Delete scans older than this many days [default: SCAN_RETENTION_DAYS].",
)
@with_appcontext
def purge_scans_command(older_than_days: int | None) -> None:
    """Delete scan-log rows older than the retention period (run daily from cron)."""
    days = (
        older_than_days
        if older_than_days is not None
        else current_app.config["SCAN_RETENTION_DAYS"]
    )
    cutoff = retention_cutoff(utcnow(), days)
    deleted = purge_scans(current_app.extensions["lpg_db"], cutoff)
    click.echo(f"deleted {deleted} scans recorded before {cutoff:%Y-%m-%d %H:%M} UTC ({days} days)")


def register(cli_group: click.Group) -> None:
    cli_group.add_command(purge_scans_command)
