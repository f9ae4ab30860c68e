"""cProfile of the two hot paths, in-process, on a generated data set.

    python -m bench.profile_paths verify <database url> [tokens file]
    python -m bench.profile_paths ingest <database url>

`verify` prints CPU and wall milliseconds per request for /healthz, the JSON verify and the
page (Flask test client), then the cumulative profile of 300 JSON verifications. `ingest`
profiles the second of two `record_fills` batches of 500 at the second station (the first
warms the statement cache; the data set is modified).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import logging
import os
import pstats
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from bench import load
from bench.bench_ingest import ELIGIBLE
from bench.common import RESULTS, app_env

FOCUS = "verify_api|verification|limiter|redis|flask_smorest|scanlog|execute|issuance|chain"


def _per_request(client, prefix: str, tokens: list[str]) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    cpu, wall = time.process_time(), time.perf_counter()
    for token in tokens:
        client.get(prefix + token)
    n = len(tokens)
    return (time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000


def verify(url: str, tokens_path: str) -> None:
    marker = load.read_marker(url) or {"seed": 2026}
    os.environ.update(app_env(url, marker["seed"]))
    from traceability.web.app import create_app

    client = create_app().test_client()
    logging.disable(logging.INFO)
    tokens = Path(tokens_path).read_text().split()[:650]
    for token in tokens[:50]:
        client.get("/api/v1/verify/" + token)
    print("healthz cpu/wall ms", _per_request(client, "/healthz", [""] * 300))
    print("json    cpu/wall ms", _per_request(client, "/api/v1/verify/", tokens[50:350]))
    print("page    cpu/wall ms", _per_request(client, "/v/", tokens[350:650]))
    profile = cProfile.Profile()
    profile.enable()
    for token in tokens[50:350]:
        client.get("/api/v1/verify/" + token)
    profile.disable()
    pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        *([FOCUS] if not os.environ.get("PROFILE_ALL") else []), 45
    )


def ingest(url: str) -> None:
    from bench.reference import bench_secrets
    from label_service.issuance import FillSettings, record_fills
    from label_service.issuance_views import FillRequest
    from traceability.crypto import Keyring
    from traceability.db import Database
    from traceability.models.enums import Role
    from traceability.permissions import Principal

    db = Database(url)
    with db.read() as session:
        station, org = session.execute(
            text(
                "SELECT id, organisation_id FROM facilities WHERE kind = 'filling_station' "
                "ORDER BY id LIMIT 1 OFFSET 1"
            )
        ).one()
        due_after = dt.date.today() + dt.timedelta(days=2)
        rows = session.execute(
            text(ELIGIBLE), {"due_after": due_after, "org": org, "station": station, "n": 500}
        ).all()
        device = session.execute(
            text("SELECT id FROM device_keys WHERE facility_id = :f"), {"f": station}
        ).scalar()
    principal = Principal(Role.STATION, org, facility_id=station, device_id=device, name="bench")
    keyring = Keyring(
        bench_secrets((load.read_marker(url) or {"seed": 2026})["seed"])["MASTER_KEY"]
    )
    settings = FillSettings(base_url="https://lpg.example.vn")
    # The first batch warms SQLAlchemy's statement cache as a running server's would be.
    for minutes_ago in (4, 2):
        now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)
        requests = [
            FillRequest(str(uuid.uuid4()), now, Decimal(nominal) - Decimal("0.10"), cylinder_id=cid)
            for cid, nominal in rows
        ]
        profile = cProfile.Profile()
        cpu, wall = time.process_time(), time.perf_counter()
        profile.enable()
        record_fills(db, keyring, principal, requests, settings)
        profile.disable()
        print(
            f"{len(requests)} fills: {time.perf_counter() - wall:.2f} s wall, "
            f"{time.process_time() - cpu:.2f} s CPU"
        )
    pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(25)


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        verify(
            sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else str(RESULTS / "tmp" / "tokens.txt")
        )
    else:
        ingest(sys.argv[2])
