"""`verify-offline` command: lets an inspector check a label with only a saved JWKS file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .codec import manual_code
from .offline import OfflineResult, verify_offline


def _result_dict(result: OfflineResult) -> dict:
    claims = result.claims
    fields = None
    if claims is not None:
        fields = {
            "label_id": claims.label_id.hex(),
            "manual_code": manual_code(claims.label_id),
            "key_id": claims.key_id.hex(),
            "serial": claims.serial,
            "brand_code": claims.brand_code,
            "type_code": claims.type_code,
            "tare_kg": str(claims.tare_kg),
            "net_kg": str(claims.net_kg),
            "inspection_due": claims.inspection_due.isoformat(),
            "filled_at": claims.filled_at.strftime("%Y-%m-%dT%H:%MZ"),
        }
    return {
        "verdict": result.verdict,
        "detail": result.detail,
        "station": result.station,
        "key_status": result.key_status,
        "claims": fields,
    }


def _plain_lines(data: dict) -> list[str]:
    lines = [
        f"Verdict:     {data['verdict']}",
        f"Detail:      {data['detail']}",
        f"Station:     {data['station'] or '-'}",
        f"Key status:  {data['key_status'] or '-'}",
    ]
    if data["claims"]:
        if data["verdict"] != "signature_valid":
            lines.append("WARNING: the fields below are NOT verified.")
        lines += [f"{name + ':':<16} {value}" for name, value in data["claims"].items()]
    return lines


@click.command("verify-offline")
@click.option(
    "--jwks",
    "jwks_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Saved copy of /.well-known/jwks.json.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.argument("url_or_token")
def verify_offline_command(jwks_path: Path, as_json: bool, url_or_token: str) -> None:
    """Verify a label URL or token offline; exit status 0 only for a valid signature."""
    try:
        jwks = json.loads(jwks_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"cannot read JWKS file: {exc}") from None
    if not isinstance(jwks, dict):
        raise click.ClickException("JWKS file must hold a JSON object with a 'keys' list")
    data = _result_dict(verify_offline(jwks, url_or_token))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(_plain_lines(data)))
    click.get_current_context().exit(0 if data["verdict"] == "signature_valid" else 1)
