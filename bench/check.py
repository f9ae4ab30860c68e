"""Independent checks of a generated data set through the ORM: chain, signatures, consistency."""

from __future__ import annotations

from sqlalchemy import func, select

from traceability.db import Database
from traceability.labels.codec import parse_token, signature_holds
from traceability.ledger.chain import GENESIS_HASH, entry_hash
from traceability.models import ChainHead, Cylinder, Label, LedgerEntry, SigningKey


def chain_problems(db: Database, limit: int | None = None) -> list[str]:
    """Walk the ledger in id order recomputing every hash, as an auditor would."""
    problems: list[str] = []
    previous = GENESIS_HASH
    with db.read() as session:
        query = select(LedgerEntry).order_by(LedgerEntry.id).execution_options(yield_per=5000)
        if limit:
            query = query.limit(limit)
        for entry in session.scalars(query):
            if entry.prev_hash != previous:
                problems.append(f"entry {entry.id}: prev_hash does not link")
            if entry_hash(entry.prev_hash, entry) != entry.entry_hash:
                problems.append(f"entry {entry.id}: entry_hash does not match its content")
            previous = entry.entry_hash
            if len(problems) > 10:
                break
        head = session.get(ChainHead, 1)
        if not limit and (head is None or head.last_hash != previous):
            problems.append("chain head does not point at the last entry")
    return problems


def token_problems(db: Database, limit: int = 2000) -> list[str]:
    """Every sampled label's token parses, names its key, and its signature holds."""
    problems: list[str] = []
    with db.read() as session:
        keys = {key.id: key for key in session.scalars(select(SigningKey))}
        for label in session.scalars(select(Label).order_by(Label.id).limit(limit)):
            parsed = parse_token(label.token)
            key = keys[label.signing_key_id]
            if parsed.claims.key_id != key.key_id or not signature_holds(parsed, key.public_key):
                problems.append(f"label {label.id}: signature does not hold")
            cylinder = session.get(Cylinder, label.cylinder_id)
            assert cylinder is not None
            if parsed.claims.serial != cylinder.serial or parsed.claims.tare_kg != cylinder.tare_kg:
                problems.append(f"label {label.id}: claims do not match the cylinder")
            current = cylinder.current_label_id == label.id
            if current == (label.superseded_at is not None):
                problems.append(f"label {label.id}: superseded state inconsistent")
    return problems


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Cylinder, Label, LedgerEntry)
        }
