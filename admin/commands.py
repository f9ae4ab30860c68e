"""Commands of the authenticated APIs' back office: statistics summary refresh."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from traceability.stats.refresh import refresh


@click.command("stats-refresh")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Re-summarise from this local day (default: last complete day minus the lookback).",
)
@click.option("--lookback-days", type=click.IntRange(0, 366), default=None)
@with_appcontext
def stats_refresh(since: dt.datetime | None, lookback_days: int | None) -> None:
    """Bring the daily statistics summary tables up to the end of yesterday (run every 10 min)."""
    config = current_app.config
    results = refresh(
        current_app.extensions["lpg_db"],
        since=since.date() if since else None,
        lookback_days=(
            lookback_days if lookback_days is not None else config["STATS_REFRESH_LOOKBACK_DAYS"]
        ),
        offset_hours=config["STATS_UTC_OFFSET_HOURS"],
    )
    for result in results:
        click.echo(
            f"{result.table}: days {result.start} to {result.end} (exclusive), {result.rows} rows"
        )


def register(cli_group: click.Group) -> None:
    cli_group.add_command(stats_refresh)
