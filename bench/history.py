"""Generate one chunk of cylinders with their histories: pure CPU work, run in worker processes.

A chunk is deterministic given (seed, chunk index). Ledger rows come out without id and hashes:
`chain()` adds those once the previous chunk's last hash is known, so the chain order is
chunk by chunk, and by time within a chunk.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.reference import Context, bench_secrets
from bench.rows import (
    CANONICAL,
    CUSTOMERS,
    DAY,
    EVENT_DETAILS,
    FILL_DETAILS,
    MINUTE_EPOCH,
    CachedKeyring,
    Clock,
    between,
    expected_verdict,
    json_value,
    new_uuid,
    token_payload,
)
from traceability.labels.codec import DATE_EPOCH, manual_code
from traceability.ledger import personal
from traceability.models.enums import CylinderStatus

MAX_CYCLES = 3
HISTORY_DAYS = 540
CYCLE_WEIGHTS = (0.25, 0.40, 0.35)  # 1, 2 or 3 fill cycles: ~10 ledger entries per cylinder
FLAGGED = (
    CylinderStatus.STOLEN,
    CylinderStatus.LOST,
    CylinderStatus.QUARANTINED,
    CylinderStatus.SCRAPPED,
    CylinderStatus.SEIZED,
)
STAGES = ("fill", "dispatch", "sale", "receipt", "consumer_sale", "return")
MANUFACTURERS = ("Anpha Gas Cylinder", "Hwashin Vina", "Sino Steel Cylinder", "Gas Việt Nam")


@dataclass
class Chunk:
    """Rows of one chunk, in table column order; ledger rows still lack id and hashes."""

    index: int
    cylinders: list[tuple] = field(default_factory=list)
    fills: list[tuple] = field(default_factory=list)
    labels: list[tuple] = field(default_factory=list)
    ledger: list[tuple] = field(default_factory=list)
    canonical: list[bytes] = field(default_factory=list)
    scans: list[tuple] = field(default_factory=list)
    tokens: list[tuple[str, str, int]] = field(default_factory=list)  # token, verdict, chunk


class ChunkBuilder:
    """Builds chunks; holds the worker's signing keys and sealed personal-data blobs."""

    def __init__(self, ctx: Context, chunk_size: int, sqlite: bool) -> None:
        self.ctx = ctx
        self.size = chunk_size
        self.clock = Clock(sqlite)
        self.keyring = CachedKeyring(bench_secrets(ctx.seed)["MASTER_KEY"])
        self.signers = {
            k.signing_key_id: Ed25519PrivateKey.from_private_bytes(k.private_seed).sign
            for keys in ctx.station_keys.values()
            for k in keys
        }
        self.today = datetime.fromtimestamp(ctx.now, UTC).date()

    def build(self, index: int, count: int) -> Chunk:
        rng = random.Random(f"{self.ctx.seed}:{index}")
        chunk = Chunk(index)
        events: list[tuple] = []
        next_fill = index * self.size * MAX_CYCLES + 1
        for cylinder_id in range(index * self.size + 1, index * self.size + count + 1):
            next_fill = self._cylinder(rng, chunk, events, cylinder_id, next_fill)
        events.sort(key=lambda e: (e[0], e[1]))
        for event in events:
            self._ledger_row(rng, chunk, *event)
        return chunk

    def _cylinder(self, rng: random.Random, chunk: Chunk, events: list, cid: int, fid: int) -> int:
        ctx, now, clock = self.ctx, self.ctx.now, self.clock
        brand_id, brand_code, owner = ctx.brands[cid % len(ctx.brands)]
        type_id, type_code, nominal, tare_range, _ = rng.choices(
            ctx.types, [t[4] for t in ctx.types]
        )[0]
        tare = Decimal(str(round(rng.uniform(*tare_range), 1)))
        made = self.today - timedelta(days=between(rng, 400, 365 * 12))
        roll = rng.random()
        due_days = (
            -between(rng, 1, 400)
            if roll < 0.06
            else between(rng, 1, 30)
            if roll < 0.11
            else between(rng, 31, 5 * 365)
        )
        due = self.today + timedelta(days=due_days)
        due_epoch = int(datetime(due.year, due.month, due.day, tzinfo=UTC).timestamp())
        status = rng.choice(FLAGGED) if rng.random() < 0.01 else CylinderStatus.IN_SERVICE
        serial = f"{brand_code[:4]}{made.year % 100:02d}-{cid:07d}"
        station_id, station_org = rng.choice(ctx.brand_stations[brand_id])
        cycles = rng.choices((1, 2, 3), CYCLE_WEIGHTS)[0]
        last_stage = between(rng, 1, len(STAGES))
        t = now - cycles * 50 * DAY - between(rng, 0, 40 * DAY)  # histories run up to now
        holder: tuple[int | None, int | None] = (owner, None)
        labels: list[list] = []
        for cycle in range(cycles):
            trader = owner if rng.random() < 0.6 else rng.choice(ctx.traders)
            shop_facility, shop_org = rng.choice(ctx.shops)
            stages = STAGES if cycle < cycles - 1 else STAGES[:last_stage]
            for stage in stages:
                if t >= now - 3600 or (stage == "fill" and t >= due_epoch - DAY):
                    break
                fill_id = label_id = None
                details = EVENT_DETAILS
                if stage == "fill":
                    t -= t % 60  # label fill times are whole minutes
                    fill_id = label_id = fid
                    fid += 1
                    net = Decimal(nominal) - Decimal(between(rng, 0, 20)).scaleb(-2)
                    labels.append(
                        [
                            *self._fill(
                                rng, chunk, cid, fid - 1, t, station_id, owner, net, tare, due
                            ),
                            serial,
                            brand_code,
                            type_code,
                            due,
                            station_id,
                        ]
                    )
                    details = FILL_DETAILS % (labels[-1][5], labels[-1][4].hex(), net, type_code)
                    actor, counter = (station_org, station_id), (owner, None)
                elif stage == "dispatch":
                    actor, counter = (station_org, station_id), (trader, None)
                    chunk.fills[-1] = (*chunk.fills[-1][:-1], clock.db(t))
                elif stage == "sale":
                    actor, counter = (trader, None), (shop_org, shop_facility)
                elif stage == "receipt":
                    actor, counter = (shop_org, shop_facility), (trader, None)
                elif stage == "consumer_sale":
                    actor, counter = (shop_org, shop_facility), (None, None)
                else:
                    actor, counter = (shop_org, shop_facility), (owner, None)
                events.append((t, cid, stage, actor, counter, fill_id, label_id, details))
                holder = actor if stage in ("fill", "receipt") else counter
                t += between(rng, 2 * 3600, 6 * DAY)
            t += between(rng, 10 * DAY, 60 * DAY)
        current = self._labels(rng, chunk, cid, labels, status, due)
        chunk.cylinders.append(
            (
                cid,
                owner,
                brand_id,
                serial,
                serial.lower(),
                type_id,
                rng.choice(MANUFACTURERS),
                made.isoformat(),
                str(tare),
                (due - timedelta(days=5 * 365)).isoformat(),
                due.isoformat(),
                str(status),
                holder[0],
                holder[1],
                current,
                clock.db(now - HISTORY_DAYS * DAY),
                clock.db(now - 3600),
                1,
            )
        )
        return fid

    def _fill(self, rng, chunk, cid, fill_id, t, station, owner, net, tare, due) -> list:  # type: ignore[no-untyped-def]
        clock, device = self.clock, self.ctx.station_devices[station]
        uuid = new_uuid(rng)
        content = hashlib.sha256(f"{cid}|{station}|{t}|{net}".encode()).hexdigest()
        gross = str(tare + net + Decimal(between(rng, -5, 5)).scaleb(-2))
        recorded = t + between(rng, 0, 300)
        chunk.fills.append(
            (
                fill_id,
                uuid,
                content,
                station,
                cid,
                owner,
                owner,
                clock.db(t),
                str(net),
                gross,
                None,
                None,
                device,
                clock.db(recorded),
                due.isoformat(),
                None,
            )
        )
        return [fill_id, t, net, tare, rng.getrandbits(64).to_bytes(8, "big"), gross]

    def _labels(self, rng, chunk, cid, labels, status, due: date) -> int | None:  # type: ignore[no-untyped-def]
        """Sign each fill's label; earlier ones are superseded by the next; returns the current."""
        clock, now = self.clock, self.ctx.now
        for n, (fill_id, t, net, tare, uid, _, serial, brand, type_code, _, station) in enumerate(
            labels
        ):
            key = next(
                k
                for k in self.ctx.station_keys[station]
                if k.valid_from <= t and (k.valid_until is None or t < k.valid_until)
            )
            payload = token_payload(
                key.key_id,
                uid,
                (serial, brand, type_code),
                (
                    int(tare * 100),
                    int(net * 100),
                    (due - DATE_EPOCH).days,
                    (t - MINUTE_EPOCH) // 60,
                ),
            )
            signed = payload + self.signers[key.signing_key_id](payload)
            token = base64.b32encode(signed).decode("ascii").rstrip("=")
            nxt = labels[n + 1] if n + 1 < len(labels) else None
            chunk.labels.append(
                (fill_id, uid, manual_code(uid).replace("-", ""), fill_id, cid)
                + (key.signing_key_id, token, clock.db(t))
                + ((clock.db(nxt[1]), nxt[0]) if nxt else (None, None))
            )
            verdict = expected_verdict(nxt is not None, status, due, t, key, station, self.ctx)
            if rng.random() < (0.01 if nxt else 0.03):
                chunk.tokens.append((token, verdict, chunk.index))
            if rng.random() < 0.3:
                scanned = t + between(rng, DAY, 20 * DAY)
                if scanned < now:
                    chunk.scans.append(
                        (
                            fill_id,
                            cid,
                            clock.db(scanned),
                            verdict,
                            f"{rng.getrandbits(256):064x}",
                            "mobile",
                        )
                    )
        return labels[-1][0] if labels else None

    def _ledger_row(
        self, rng, chunk, t, cid, stage, actor, counter, fill_id, label_id, details
    ) -> None:  # type: ignore[no-untyped-def]
        ctx = self.ctx
        uuid = new_uuid(rng)
        content = hashlib.sha256(f"{uuid}|{details}".encode()).hexdigest()
        occurred, occurred_iso = self.clock.both(t)
        recorded, recorded_iso = self.clock.both(t + int(rng.random() * 120))
        sealed = None
        if stage == "consumer_sale":
            sealed = personal.seal(self.keyring, uuid, CUSTOMERS[cid % len(CUSTOMERS)])
        device = ctx.station_devices.get(actor[1]) if stage in ("fill", "dispatch") else None
        user = None if device else ctx.org_users.get(actor[0])
        chunk.ledger.append(
            (
                uuid,
                content,
                stage,
                cid,
                occurred,
                recorded,
                actor[0],
                actor[1],
                counter[0],
                counter[1],
                fill_id,
                label_id,
                details,
                sealed,
                None,
                None,
                user,
                device,
                False,
            )
        )
        chunk.canonical.append(
            (
                CANONICAL
                % (
                    json_value(actor[1]),
                    actor[0],
                    content,
                    json_value(counter[1]),
                    json_value(counter[0]),
                    cid,
                    details,
                    uuid,
                    json_value(fill_id),
                    stage,
                    json_value(label_id),
                    occurred_iso,
                    recorded_iso,
                    json_value(device),
                    json_value(user),
                    "null" if sealed is None else f'"{base64.b64encode(sealed).decode()}"',
                )
            ).encode()
        )


def chain(chunk: Chunk, previous: str, first_id: int) -> tuple[str, int]:
    """Give the chunk's ledger rows their ids and hashes, exactly as ledger.chain.append would."""
    sha = hashlib.sha256
    rows = chunk.ledger
    for n, canonical in enumerate(chunk.canonical):
        digest = sha(previous.encode() + b"\n" + canonical).hexdigest()
        rows[n] = (first_id + n, *rows[n], previous, digest)
        previous = digest
    chunk.canonical = []
    return previous, first_id + len(rows)
