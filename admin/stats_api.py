"""Statistics for the department and inspectors (JSON; charts come later)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import QueryId
from traceability.permissions import Permission
from traceability.stats import registry, series
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="Statistics: registry by administrative unit, fills, verifications, inspections "
    "due, open cases, field checks. Days are local (UTC+7); see docs/statistics.md.",
)


class RangeArgs(ma.Schema):
    start = ma.fields.Date(metadata={"description": "First day (default: 29 days before end)"})
    end = ma.fields.Date(metadata={"description": "Last day, inclusive (default: today)"})


class FillArgs(RangeArgs):
    station_id = QueryId()


def _offset() -> int:
    return int(current_app.config.get("STATS_UTC_OFFSET_HOURS", 7))


Counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class Freshness(ma.Schema):
    summarised_before = ma.fields.Date(
        allow_none=True, metadata={"description": "Days before this come from summary tables"}
    )
    live_from = ma.fields.Date(allow_none=True, metadata={"description": "Counted live from"})
    note = ma.fields.String()


class UnitCounts(ma.Schema):
    stations = ma.fields.Integer()
    shops = ma.fields.Integer()
    depots = ma.fields.Integer()
    warehouses = ma.fields.Integer()
    traders = ma.fields.Integer()
    cylinders = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "By status, plus `total`"},
    )


class UnitOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    counts = ma.fields.Nested(UnitCounts)


class AdminUnitsOut(ma.Schema):
    units = ma.fields.List(ma.fields.Nested(UnitOut))
    unassigned = ma.fields.Nested(UnitCounts)
    note = ma.fields.String()


class StationSeries(ma.Schema):
    station_id = ma.fields.Integer()
    station = ma.fields.String(allow_none=True)
    fills = ma.fields.Integer(metadata={"description": "Total over the range"})
    daily = ma.fields.Raw(metadata={"description": "Fills per day, aligned with `days`"})


class FillsOut(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    days = ma.fields.List(ma.fields.Date())
    stations = ma.fields.List(
        ma.fields.Nested(StationSeries),
        metadata={"description": "Stations with at least one fill, busiest first"},
    )
    daily_totals = ma.fields.Raw(metadata={"description": "All stations, aligned with `days`"})
    total = ma.fields.Integer()
    freshness = ma.fields.Nested(Freshness)


class VerificationDay(ma.Schema):
    day = ma.fields.Date()
    by_verdict = Counts
    total = ma.fields.Integer()


class VerificationsOut(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    days = ma.fields.List(ma.fields.Nested(VerificationDay))
    by_verdict = Counts
    total = ma.fields.Integer()
    freshness = ma.fields.Nested(Freshness)


class InspectionsDueOut(ma.Schema):
    as_of = ma.fields.Date()
    overdue = ma.fields.Integer()
    due_within_30_days = ma.fields.Integer()
    due_within_90_days = ma.fields.Integer()
    note = ma.fields.String()


class CaseCounts(ma.Schema):
    by_status = Counts
    by_reason = Counts
    total = ma.fields.Integer()
    oldest_open_at = ma.fields.AwareDateTime(allow_none=True)


class CasesOut(ma.Schema):
    reports = ma.fields.Nested(CaseCounts)
    anomalies = ma.fields.Nested(CaseCounts)


class CheckDay(ma.Schema):
    day = ma.fields.Date()
    compliant = ma.fields.Integer()
    violations = ma.fields.Integer()


class FieldChecksOut(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    total = ma.fields.Integer()
    compliant = ma.fields.Integer()
    with_violations = ma.fields.Integer()
    by_violation = Counts
    days = ma.fields.List(ma.fields.Nested(CheckDay))


@blp.route("/admin-units")
class AdminUnitCounts(MethodView):
    @requires(Permission.STATS_READ)
    @blp.response(200, AdminUnitsOut)
    def get(self) -> Any:
        """Stations, shops, traders and cylinders by status, per administrative unit (rolled up)."""
        return registry.counts_by_admin_unit(get_db(), current_principal())


@blp.route("/fills")
class FillsPerDay(MethodView):
    @requires(Permission.STATS_READ)
    @blp.arguments(FillArgs, location="query")
    @blp.response(200, FillsOut)
    @blp.alt_response(422, description="Range longer than 366 days or reversed (`bad_date_range`)")
    def get(self, args: dict[str, Any]) -> Any:
        """Fills per day per station over a date range (≤ 366 days)."""
        return series.fills_per_day(get_db(), current_principal(), offset_hours=_offset(), **args)


@blp.route("/verifications")
class VerificationsPerDay(MethodView):
    @requires(Permission.STATS_READ)
    @blp.arguments(RangeArgs, location="query")
    @blp.response(200, VerificationsOut)
    @blp.alt_response(422, description="Range longer than 366 days or reversed (`bad_date_range`)")
    def get(self, args: dict[str, Any]) -> Any:
        """Public verifications per day by verdict over a date range (≤ 366 days)."""
        return series.verifications_per_day(
            get_db(), current_principal(), offset_hours=_offset(), **args
        )


@blp.route("/inspections-due")
class InspectionsDue(MethodView):
    @requires(Permission.STATS_READ)
    @blp.response(200, InspectionsDueOut)
    def get(self) -> Any:
        """In-service cylinders overdue for inspection, and due within 30 and 90 days."""
        return registry.inspections_due(get_db(), current_principal(), offset_hours=_offset())


@blp.route("/cases")
class OpenCases(MethodView):
    @requires(Permission.STATS_READ)
    @blp.response(200, CasesOut)
    def get(self) -> Any:
        """Open and investigating consumer reports and anomalies, by status and reason."""
        return registry.open_cases(get_db(), current_principal())


@blp.route("/field-checks")
class FieldCheckStats(MethodView):
    @requires(Permission.STATS_READ)
    @blp.arguments(RangeArgs, location="query")
    @blp.response(200, FieldChecksOut)
    @blp.alt_response(422, description="Range longer than 366 days or reversed (`bad_date_range`)")
    def get(self, args: dict[str, Any]) -> Any:
        """Field checks per day by result and the violations found, over a date range."""
        return registry.field_checks(get_db(), current_principal(), offset_hours=_offset(), **args)
