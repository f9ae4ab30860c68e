"""Tamper evidence: recompute the ledger's hash chain and report the first broken entry."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from traceability.ledger import integrity
from traceability.permissions import Permission
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "ledger_integrity",
    __name__,
    url_prefix="/api/v1/ledger",
    description="Integrity of the append-only, hash-chained ledger",
)


class VerifyArgsSchema(ma.Schema):
    from_id = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 2**63 - 1))
    limit = ma.fields.Integer(validate=ma.validate.Range(1, integrity.MAX_LIMIT))


class BrokenEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    problem = ma.fields.String(
        metadata={"description": "content_changed | link_broken | head_mismatch"}
    )
    expected_hash = ma.fields.String()
    stored_hash = ma.fields.String()


class ChainReportSchema(ma.Schema):
    ok = ma.fields.Boolean()
    checked = ma.fields.Integer(metadata={"description": "Entries whose hash was recomputed"})
    first_id = ma.fields.Integer(allow_none=True)
    last_id = ma.fields.Integer(allow_none=True)
    complete = ma.fields.Boolean(metadata={"description": "Reached the newest entry"})
    head_checked = ma.fields.Boolean()
    broken = ma.fields.Nested(BrokenEntrySchema, allow_none=True)
    notes = ma.fields.List(ma.fields.String())


@blp.route("/verify")
class VerifyChain(MethodView):
    @requires(Permission.LEDGER_VERIFY)
    @blp.arguments(VerifyArgsSchema, location="query")
    @blp.response(200, ChainReportSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Recompute every entry's hash in id order (streamed) and name the first broken one.

        `from_id` starts the check at an entry (trusting the stored hash of the one before);
        `limit` bounds the work of one call. `complete` says whether the newest entry was reached;
        only then is the chain head compared too.
        """
        report = integrity.verify_chain(
            get_db(), current_principal(), from_id=args["from_id"], limit=args.get("limit")
        )
        return report.as_dict()
