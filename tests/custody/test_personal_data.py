"""Customer data of consumer sales: sealed in the database, masked in the audit log, read by few."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from tests.custody.conftest import event
from traceability.models import AuditEntry

CUSTOMER = {
    "name": "Lê Thị Hồng Nhung",
    "address": "45/2 Phạm Văn Thuận, Biên Hòa",
    "phone": "0909123456",
}


def sell_to_household(custody, world):
    custody.to_shop(world.cyl_a)
    return custody.record(world.shop_user, event("consumer_sale", world.cyl_a, customer=CUSTOMER))


def test_personal_data_is_encrypted_at_rest_and_not_in_details(custody, world, db):
    sold = sell_to_household(custody, world)
    with db.engine.connect() as connection:
        row = (
            connection.execute(
                text("SELECT * FROM ledger_entries WHERE id = :id"), {"id": sold["entry"]["id"]}
            )
            .mappings()
            .one()
        )
    raw = json.dumps(
        {k: (v.hex() if isinstance(v, bytes | memoryview) else str(v)) for k, v in row.items()},
        ensure_ascii=False,
    )
    sealed = bytes(row["sealed_personal_data"])
    assert sealed and sealed[:1] == b"\x01"
    for secret in CUSTOMER.values():
        assert secret not in raw
        assert secret.encode().hex() not in raw
    assert "Nhung" not in json.dumps(sold, ensure_ascii=False)


def test_personal_data_is_masked_in_the_audit_log(custody, world, db):
    sell_to_household(custody, world)
    with db.read() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "ledger.consumer_sale")
        ).all()
        dumped = json.dumps([r.changes for r in rows], ensure_ascii=False)
        assert len(rows) == 1 and rows[0].changes["customer_name"] == "***"
    for secret in CUSTOMER.values():
        assert secret not in dumped


def test_only_the_seller_and_the_authority_read_it_and_each_read_is_audited(
    custody, client, world, db
):
    sold = sell_to_household(custody, world)
    url = f"/api/v1/events/{sold['entry']['id']}/personal-data"
    for user in (world.shop_user, world.inspector, world.admin):
        response = client.get(url, headers=custody.headers(user))
        assert response.status_code == 200, response.json
        assert response.json["name"] == CUSTOMER["name"] and response.json["phone"] == "0909123456"
        assert response.headers["Cache-Control"] == "no-store"
    # The trader who sold to the shop is a party to the cylinder but not the seller to the household.
    for user, status in ((world.trader_a, 404), (world.trader_b, 404), (world.station_user_a, 403)):
        response = client.get(url, headers=custody.headers(user))
        assert response.status_code == status, user.username
        assert "Nhung" not in response.get_data(as_text=True)
    assert client.get(url).status_code == 401
    with db.read() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.read")).all()
        assert sorted(r.actor_name for r in reads) == sorted(["shop", "inspector", "admin"])
        assert all("Nhung" not in json.dumps(r.changes, ensure_ascii=False) for r in reads)


def test_sealed_data_is_bound_to_its_entry(custody, world, db, app):
    from traceability.ledger import personal
    from traceability.models import LedgerEntry

    sold = sell_to_household(custody, world)
    with db.read() as s:
        entry = s.get(LedgerEntry, sold["entry"]["id"])
        keyring = app.extensions["lpg_keyring"]
        assert personal.unseal(keyring, entry)["customer_name"] == CUSTOMER["name"]
        other = s.scalar(select(LedgerEntry).where(LedgerEntry.kind == "sale"))
        moved = LedgerEntry(
            id=other.id,
            entry_uuid=other.entry_uuid,
            sealed_personal_data=entry.sealed_personal_data,
        )
    try:
        personal.unseal(keyring, moved)
    except personal.PersonalDataUnreadable:
        pass
    else:
        raise AssertionError("sealed data opened under another entry's uuid")
