"""The demo seeding records fills through the service and stages one label per verdict."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from label_service.demo import sample_urls, seed_fills, stage_suspected_copy
from tests import factories as f
from traceability.labels.codec import parse_token, token_from_text
from traceability.labels.offline import verify_offline
from traceability.models import Fill, SigningKey


def test_seed_fills_and_sample_urls(app, db, keyring, world, client):
    with db.transaction() as s:
        for n in range(12):
            f.cylinder(s, world.org_a, world.brand_a, world.type12, serial=f"DP-DEMO-{n:03d}")
            f.cylinder(s, world.org_b, world.brand_b, world.type12, serial=f"BH-DEMO-{n:03d}")
    totals = seed_fills(db, keyring, app.config, fraction=1.0)
    assert totals["keys"] == 2 and totals["created"] >= 20 and totals["rejected"] == 0
    again = seed_fills(db, keyring, app.config, fraction=1.0)
    assert again["keys"] == 0 and again["created"] == 0, "a second run creates nothing"
    urls = sample_urls(db, app.config["PUBLIC_BASE_URL"])
    assert set(urls) == {
        "genuine",
        "superseded",
        "inspection_expired",
        "cylinder_flagged",
        "key_revoked",
        "not_genuine",
    }
    jwks = client.get("/.well-known/jwks.json").json
    assert verify_offline(jwks, urls["genuine"]).verdict == "signature_valid"
    assert verify_offline(jwks, urls["key_revoked"]).verdict == "key_revoked"
    assert verify_offline(jwks, urls["not_genuine"]).verdict == "bad_signature"
    expired = parse_token(token_from_text(urls["inspection_expired"])).claims
    assert expired.inspection_due < dt.date.today()
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(SigningKey)) == 3
        assert s.scalar(select(func.count()).select_from(Fill)) == totals["created"] + 3


def test_a_staged_copy_pattern_verifies_as_suspected_copy(app, db, keyring, world, client):
    with db.transaction() as s:
        for n in range(4):
            f.cylinder(s, world.org_a, world.brand_a, world.type12, serial=f"DP-COPY-{n:03d}")
    seed_fills(db, keyring, app.config, fraction=1.0)
    genuine = sample_urls(db, app.config["PUBLIC_BASE_URL"])["genuine"]
    copied = stage_suspected_copy(db, app.config, app.config["PUBLIC_BASE_URL"])
    assert copied is not None and copied != genuine
    answer = client.get("/api/v1/verify/" + copied.rsplit("/", 1)[1]).json
    assert answer["verdict"] == "suspected_copy"
    assert "many_devices" in [reason["code"] for reason in answer["reasons"]]
    assert client.get("/api/v1/verify/" + genuine.rsplit("/", 1)[1]).json["verdict"] == "genuine"
