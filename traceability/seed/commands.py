"""`lpgtrace seed-demo`: demo data for a new installation (never for production)."""

from __future__ import annotations

import importlib

import click
from flask import current_app
from flask.cli import with_appcontext

from traceability.seed import demo


@click.command("seed-demo")
@click.option("--cylinders", default=5000, show_default=True, help="synthetic cylinders to create")
@click.option("--fill-fraction", default=0.8, show_default=True, help="share of cylinders filled")
@click.option("--if-empty", is_flag=True, help="do nothing when the registry already has data")
@with_appcontext
def seed_demo(cylinders: int, fill_fraction: float, if_empty: bool) -> None:
    """Load the province's registry (shared/seed), synthetic cylinders, demo users and fills."""
    if current_app.config["LPG_ENV"] == "production":
        raise click.ClickException("seed-demo is for demonstrations, not production")
    db = current_app.extensions["lpg_db"]
    if demo.already_seeded(db):
        if if_empty:
            click.echo("demo data already present; skipping seed")
            _print_urls()
            return
        raise click.ClickException("the registry is not empty (use --if-empty to skip)")
    accounts = demo.seed(db, cylinders=cylinders)
    fills = _label_demo()
    if fills is not None:
        created = fills.seed_fills(
            db, current_app.extensions["lpg_keyring"], current_app.config, fraction=fill_fraction
        )
        click.echo(f"recorded {created} demo fills with signed labels")
    click.echo(f"\nDemo accounts (password: {demo.DEMO_PASSWORD}) — demo only:")
    for account in accounts:
        where = f" @ {account.facility}" if account.facility else ""
        click.echo(f"  {account.username:<14} {account.role:<9} {account.organisation}{where}")
    _print_urls()


def _label_demo():  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module("label_service.demo")
    except ModuleNotFoundError:
        return None


def _print_urls() -> None:
    fills = _label_demo()
    if fills is None or not hasattr(fills, "sample_urls"):
        return
    db, base_url = current_app.extensions["lpg_db"], current_app.config["PUBLIC_BASE_URL"]
    urls = fills.sample_urls(db, base_url)
    copy_url = fills.stage_suspected_copy(db, current_app.config, base_url)
    if copy_url:
        urls["suspected_copy"] = copy_url
    if urls:
        click.echo("\nTry these verification pages (one per verdict):")
        for verdict, url in urls.items():
            click.echo(f"  {verdict:<20} {url}")
        if copy_url:
            minutes = current_app.config["COPY_WINDOW_MINUTES"]
            click.echo(f"  (suspected_copy: staged scans from many devices, for {minutes} minutes)")


def register(cli_group: click.Group) -> None:
    cli_group.add_command(seed_demo)
