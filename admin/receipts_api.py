"""Shop receipt: scan the labels of a delivery, verify each, record the genuine ones in one call."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.events_api import ItemResultSchema, event_context
from admin.schemas_registry import Id, Text
from traceability.ledger import events_receipts
from traceability.ledger.events_model import MAX_BATCH
from traceability.permissions import Permission
from traceability.web.security import get_db, requires

blp = Blueprint(
    "receipts",
    __name__,
    url_prefix="/api/v1/receipts",
    description="Receipt of a delivery at a retail shop (ledger 3: where and when it came from)",
)


class ReceiptLineSchema(ma.Schema):
    label = Text(1000, required=True, metadata={"description": "Label token or QR URL"})
    gross_kg = ma.fields.Decimal(
        validate=ma.validate.Range(0, 500, min_inclusive=False),
        places=2,
        metadata={"description": "Weighed gross mass (optional): flags short weight"},
    )


class ReceiptSchema(ma.Schema):
    delivery_uuid = ma.fields.UUID(required=True, metadata={"description": "Client UUID"})
    occurred_at = ma.fields.AwareDateTime(required=True)
    supplier_org_id = Id(metadata={"description": "The trader that delivered (if known)"})
    reference = Text(64, metadata={"description": "Delivery note number"})
    items = ma.fields.List(
        ma.fields.Nested(ReceiptLineSchema),
        required=True,
        validate=ma.validate.Length(1, MAX_BATCH),
    )


class ReceiptLineResultSchema(ma.Schema):
    index = ma.fields.Integer()
    label = ma.fields.String()
    status = ma.fields.String(metadata={"description": "received | duplicate | rejected"})
    verdict = ma.fields.String(allow_none=True, metadata={"description": "Public verdict"})
    reasons = ma.fields.List(ma.fields.String(), allow_none=True)
    cylinder_id = ma.fields.Integer(allow_none=True)
    weight = ma.fields.Dict(allow_none=True)
    item = ma.fields.Nested(ItemResultSchema, allow_none=True)


class ReceiptResultSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(ReceiptLineResultSchema))
    received = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    short_weight = ma.fields.Integer()


@blp.route("")
class Receipts(MethodView):
    @requires(Permission.SHOP_RECEIPT)
    @blp.arguments(ReceiptSchema)
    @blp.response(200, ReceiptResultSchema)
    @blp.alt_response(422, description="`no_facility`: the account is not attached to a shop")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Verify up to 500 labels with the public verdicts; record a receipt for genuine ones.

        Each label gets its verdict and what happened. Re-sending the same `delivery_uuid`
        answers `duplicate` for labels already received. With `gross_kg`, gross − tare is
        compared with the signed net mass; a shortfall beyond the tolerance is flagged
        `short_weight` for inspectors (the receipt is still recorded).
        """
        lines = [events_receipts.ReceiptLine(i["label"], i.get("gross_kg")) for i in body["items"]]
        delivery = {**body, "delivery_uuid": str(body["delivery_uuid"])}
        delivery.pop("items")
        results = events_receipts.receive_delivery(
            get_db(), event_context(), delivery, lines, current_app.config
        )
        return {
            "results": results,
            "received": sum(r.status == "received" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
            "rejected": sum(r.status == "rejected" for r in results),
            "short_weight": sum(
                bool(r.item and "short_weight" in r.item.anomalies) for r in results
            ),
        }
