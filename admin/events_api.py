"""Custody events (dispatch, sales, returns, inspections, reports, corrections), single and batch."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Id, Text
from traceability.ledger import events, events_model, personal
from traceability.ledger.events_rules import RECORDABLE_KINDS
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/api/v1/events",
    description="Chain of custody: every movement of a cylinder, recorded by the party holding it",
)


class CustomerSchema(ma.Schema):
    """Household customer (ledger 3) or known end customer (ledger 1); encrypted at rest."""

    customer_name = Text(255, data_key="name", required=True)
    customer_address = Text(512, data_key="address")
    customer_phone = Text(32, data_key="phone")


class EventSchema(ma.Schema):
    """One event; name the cylinder by `cylinder_id`, `brand_code` + `serial`, or `label`."""

    entry_uuid = ma.fields.UUID(
        required=True, metadata={"description": "Client UUID (idempotency)"}
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(RECORDABLE_KINDS))
    occurred_at = ma.fields.AwareDateTime(required=True)
    cylinder_id = Id()
    brand_code = Text(32)
    serial = Text(64)
    label = Text(1000, metadata={"description": "Label token or the URL in its QR code"})
    counterparty_org_id = Id(metadata={"description": "Receiving organisation"})
    counterparty_facility_id = Id(metadata={"description": "Receiving facility (e.g. a shop)"})
    customer = ma.fields.Nested(CustomerSchema)
    result = ma.fields.String(validate=ma.validate.OneOf(["passed", "failed"]))
    inspection_due = ma.fields.Date(metadata={"description": "New due date (inspection passed)"})
    failed_action = ma.fields.String(validate=ma.validate.OneOf(["quarantined", "scrapped"]))
    corrects_entry_id = Id()
    reason = Text(255)
    reference = Text(64, metadata={"description": "Delivery note or invoice number"})
    end_customer = Text(
        255,
        metadata={"description": "Sale/transfer: the business the buyer sells on to (ledger 1)"},
    )
    place = Text(255)
    notes = Text(1000, metadata={"description": "Free text; never put personal data here"})

    @ma.post_load
    def normalise(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["entry_uuid"] = str(data["entry_uuid"])
        return data


class BatchSchema(ma.Schema):
    events = ma.fields.List(
        ma.fields.Dict(), required=True, validate=ma.validate.Length(1, events_model.MAX_BATCH)
    )


class EntrySchema(ma.Schema):
    id = ma.fields.Integer()
    entry_uuid = ma.fields.String()
    kind = ma.fields.String()
    cylinder_id = ma.fields.Integer()
    occurred_at = ma.fields.DateTime()
    recorded_at = ma.fields.DateTime()
    actor_org_id = ma.fields.Integer()
    actor_facility_id = ma.fields.Integer(allow_none=True)
    counterparty_org_id = ma.fields.Integer(allow_none=True)
    counterparty_facility_id = ma.fields.Integer(allow_none=True)
    fill_id = ma.fields.Integer(allow_none=True)
    label_id = ma.fields.Integer(allow_none=True)
    details = ma.fields.Dict()
    corrects_entry_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    anomaly = ma.fields.Boolean()
    has_personal_data = ma.fields.Function(lambda entry: entry.sealed_personal_data is not None)
    prev_hash = ma.fields.String()
    entry_hash = ma.fields.String()


class ItemResultSchema(ma.Schema):
    index = ma.fields.Integer()
    entry_uuid = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "created | duplicate | rejected"})
    code = ma.fields.String(allow_none=True)
    message = ma.fields.Dict(allow_none=True)
    detail = ma.fields.String(allow_none=True)
    errors = ma.fields.Dict(allow_none=True)
    anomalies = ma.fields.List(ma.fields.String())
    entry = ma.fields.Nested(EntrySchema, allow_none=True)


class BatchResultSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(ItemResultSchema))
    created = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()


class EntryDetailSchema(EntrySchema):
    anomaly_kinds = ma.fields.List(ma.fields.String())


class PersonalDataSchema(ma.Schema):
    entry_id = ma.fields.Integer()
    entry_uuid = ma.fields.String()
    kind = ma.fields.String()
    name = ma.fields.String(attribute="customer_name")
    address = ma.fields.String(attribute="customer_address")
    phone = ma.fields.String(attribute="customer_phone")


def event_context() -> events.EventContext:
    """The recorder, the encryption keys and the clock for this request."""
    return events_model.default_context(
        current_principal(),
        current_app.extensions["lpg_keyring"],
        current_app.config["CLOCK_SKEW_SECONDS"],
    )


def _parse(raw: Any) -> dict[str, Any] | events_model.InvalidItem:
    uuid = raw.get("entry_uuid") if isinstance(raw, dict) else None
    try:
        parsed: dict[str, Any] = EventSchema().load(raw)
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        return events_model.InvalidItem(uuid if isinstance(uuid, str) else None, messages)
    return parsed


@blp.route("")
class Events(MethodView):
    @requires(Permission.LEDGER_RECORD)
    @blp.arguments(EventSchema)
    @blp.response(201, ItemResultSchema)
    @blp.alt_response(200, schema=ItemResultSchema, description="Retry of a stored event")
    @blp.alt_response(403, description="`wrong_role_for_kind`, `not_owner`, `not_a_party`")
    @blp.alt_response(
        404, description="`unknown_cylinder`, `unknown_label`, `unknown_counterparty`"
    )
    @blp.alt_response(409, description="`entry_uuid_reused` with different content")
    @blp.alt_response(
        422, description="`missing_field`, `occurred_in_future`, `counterparty_is_self`"
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Record one custody event. Inconsistent but possible events are stored and flagged.

        A movement by someone who is not the current holder, or an event older than what is
        already recorded (an offline device), is kept with `anomaly: true` and listed in
        `anomalies` for inspectors. Sending the same `entry_uuid` again returns the original.
        """
        result = events.record_event(get_db(), event_context(), body)
        return result, 200 if result.status == "duplicate" else 201


@blp.route("/batch")
class EventBatch(MethodView):
    @requires(Permission.LEDGER_RECORD)
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record up to 500 events; each is all-or-nothing and gets its own answer, in order."""
        items = [_parse(raw) for raw in body["events"]]
        results = events.record_events(get_db(), event_context(), items)
        counts = {
            status: sum(r.status == status for r in results)
            for status in ("created", "duplicate", "rejected")
        }
        return {
            "results": results,
            "created": counts["created"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
        }


@blp.route("/<int:entry_id>")
class Event(MethodView):
    @requires(Permission.LEDGER_READ)
    @blp.response(200, EntryDetailSchema)
    @blp.alt_response(404, description="No such entry, or not your organisation's")
    def get(self, entry_id: int) -> Any:
        """One ledger entry, for the organisations it names and for the authority."""
        entry, anomalies = events.get_entry(get_db(), current_principal(), entry_id)
        entry.anomaly_kinds = [anomaly.kind for anomaly in anomalies]
        return entry


@blp.route("/<int:entry_id>/personal-data")
class EventPersonalData(MethodView):
    @requires(Permission.PERSONAL_DATA_READ)
    @blp.response(200, PersonalDataSchema)
    @blp.alt_response(404, description="No such entry, or you may not read its personal data")
    def get(self, entry_id: int) -> Any:
        """The customer's name, address and phone; only for the seller and the authority; audited."""
        data = personal.read_personal_data(
            get_db(), current_app.extensions["lpg_keyring"], current_principal(), entry_id
        )
        return data, 200, {"Cache-Control": "no-store"}
