"""CLI commands of the label format: the reference offline verifier."""

from __future__ import annotations

import click

from traceability.labels.cli import verify_offline_command


def register(cli_group: click.Group) -> None:
    cli_group.add_command(verify_offline_command)
