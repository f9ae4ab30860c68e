"""No personal data in any public answer: customers, reporters, operators and users stay hidden."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert, update

from tests.verification.labelkit import now
from traceability.models import Fill, LedgerEntry, User

CUSTOMER = "Nguyễn Thị Khách Hàng"
CUSTOMER_ADDRESS = "12 Đường Bí Mật, Biên Hòa"
CUSTOMER_PHONE = "0912345678"
REPORTER_PHONE = "0987654321"
REPORTER_MAIL = "reporter@example.vn"
OPERATOR = "Lê Văn Vận Hành"
USER_NAME = "Trần Quản Trị"
USER_MAIL = "staff@example.vn"
SECRETS = (
    CUSTOMER,
    CUSTOMER_ADDRESS,
    CUSTOMER_PHONE,
    REPORTER_PHONE,
    REPORTER_MAIL,
    OPERATOR,
    USER_NAME,
    USER_MAIL,
    "login-name-",
)


def _seed_personal_data(app, w, kit) -> None:
    keyring = app.extensions["lpg_keyring"]
    sealed = keyring.seal(
        "personal-data", f"{CUSTOMER}|{CUSTOMER_ADDRESS}|{CUSTOMER_PHONE}".encode()
    )
    with app.extensions["lpg_db"].transaction() as session:
        session.execute(
            update(User).values(
                display_name=USER_NAME, email=USER_MAIL, username="login-name-" + User.username
            )
        )
        session.execute(
            update(Fill).values(operator=OPERATOR, recorded_by_user_id=w.station_user_a.id)
        )
        session.execute(
            insert(LedgerEntry).values(
                entry_uuid=str(uuid.uuid4()),
                content_hash="0" * 64,
                kind="sale_to_customer",
                cylinder_id=w.cyl_a.id,
                occurred_at=now() - dt.timedelta(minutes=5),
                actor_org_id=w.retailer.id,
                actor_facility_id=w.shop.id,
                details={"customer_name": CUSTOMER, "customer_phone": CUSTOMER_PHONE},
                sealed_personal_data=sealed,
                recorded_by_user_id=w.shop_user.id,
                prev_hash="0" * 64,
                entry_hash="1" * 64,
            )
        )
    kit.set_cylinder(w.cyl_a, holder_facility_id=w.shop.id, holder_org_id=w.retailer.id)


def test_no_personal_data_in_any_public_answer(app, client, labelled, kit):
    _seed_personal_data(app, labelled, kit)
    old = labelled.label_a.token
    new = kit.issue(labelled.cyl_a, labelled.station_a, labelled.key_a).token
    forged = kit.issue(labelled.cyl_a, labelled.station_a, labelled.key_a, register=False).token
    report = {
        "reason": "other",
        "token": new,
        "text": "x",
        "contact": f"{REPORTER_PHONE} {REPORTER_MAIL}",
    }
    answers = [client.post("/api/v1/reports", json=report)]
    for token in (new, old, forged, "JUNK"):
        for path in (f"/v/{token}", f"/V/{token}?lang=en", f"/api/v1/verify/{token}"):
            answers.append(client.get(path, headers={"Accept-Language": "vi"}))
    manual = {"manual_code": kit_manual(labelled), "serial": "DP-000001"}
    answers.append(client.post("/api/v1/verify/manual", json=manual))
    answers.append(client.post("/v", data={"code": manual["manual_code"], "serial": "DP-000001"}))
    answers.append(
        client.post(f"/v/{new}/report", data={"reason": "other", "contact": REPORTER_PHONE})
    )
    answers.append(client.get("/v"))
    answers.append(client.get("/nowhere", headers={"Accept": "text/html"}))
    verdicts = {a.json["verdict"] for a in answers if a.is_json and "verdict" in (a.json or {})}
    assert verdicts == {"genuine", "superseded", "not_genuine"}
    genuine = client.get(f"/api/v1/verify/{new}").json
    assert genuine["custody"]["holder"] == "Cửa hàng Minh Anh", "business names are shown"
    for answer in answers:
        text = answer.get_data(as_text=True) + str(answer.headers)
        leaked = [secret for secret in SECRETS if secret in text]
        assert leaked == [], f"{answer.request.path}: {leaked}"


def kit_manual(w) -> str:
    return w.label_a.manual_code
