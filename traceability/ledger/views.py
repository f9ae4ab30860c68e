"""The three Decree 87 ledgers as services: one page of rows as data, or a whole export file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceability import audit
from traceability.crypto import Keyring
from traceability.db import Database
from traceability.errors import BusinessRuleViolation
from traceability.ledger import views_filling, views_retail, views_wholesale
from traceability.ledger.exports import csv as csv_export
from traceability.ledger.exports import pdf as pdf_export
from traceability.ledger.exports import xlsx as xlsx_export
from traceability.ledger.exports import xml as xml_export
from traceability.ledger.exports.layout import LAYOUTS, LedgerLayout
from traceability.ledger.views_common import Directory, LedgerFilters, LedgerScope, resolve_scope
from traceability.ledger.views_retail import PersonalData
from traceability.permissions import Principal

BATCH = 1000
QUERIES = {1: views_wholesale, 2: views_filling, 3: views_retail}
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "xml": "application/xml; charset=utf-8",
}


class LedgerExportTooLarge(BusinessRuleViolation):
    code = "ledger_export_too_large"
    message_vi = "Sổ có quá nhiều dòng cho định dạng này; hãy chọn khoảng thời gian ngắn hơn hoặc xuất XLSX/CSV."
    message_en = "Too many rows for this format; choose a shorter period or export XLSX/CSV."


@dataclass(frozen=True, slots=True)
class ExportLimits:
    max_days: int = 366
    pdf_rows: int = 10_000
    file_rows: int = 300_000


@dataclass(slots=True)
class LedgerPage:
    scope: LedgerScope
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    summary: list[dict[str, Any]] | None = None
    personal_data_visible: bool = False


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    filename: str
    mimetype: str


@dataclass(slots=True)
class _Reader:
    """One read of one ledger: the scope, the name cache and the personal-data opener."""

    session: Session
    scope: LedgerScope
    personal: PersonalData
    directory: Directory = field(init=False)

    def __post_init__(self) -> None:
        self.directory = Directory(self.session)

    @property
    def layout(self) -> LedgerLayout:
        return LAYOUTS[self.scope.number]

    def statement(self) -> Any:
        return QUERIES[self.scope.number].statement(self.scope)

    def count(self) -> int:
        counted = select(func.count()).select_from(self.statement().order_by(None).subquery())
        return int(self.session.scalar(counted) or 0)

    def shape(self, batch: Any) -> list[dict[str, Any]]:
        if self.scope.number == 3:
            return views_retail.build_rows(
                self.session, self.scope, self.directory, batch, self.personal
            )
        module = QUERIES[self.scope.number]
        return module.build_rows(self.session, self.scope, self.directory, batch)  # type: ignore[attr-defined]

    def page(self, page: int, per_page: int) -> list[dict[str, Any]]:
        query = self.statement().limit(per_page).offset((page - 1) * per_page)
        return self.shape(self.session.execute(query).all())

    def stream(self) -> Iterator[dict[str, Any]]:
        """Every row, fetched and shaped a batch at a time (server-side cursor on PostgreSQL)."""
        result = self.session.execute(self.statement().execution_options(yield_per=BATCH))
        for batch in result.partitions():
            yield from self.shape(batch)

    def summary(self) -> list[dict[str, Any]] | None:
        if self.scope.number != 2:
            return None
        return views_filling.summary(self.session, self.scope, self.directory)


def _open(
    session: Session,
    principal: Principal,
    keyring: Keyring | None,
    number: int,
    filters: LedgerFilters,
    max_days: int,
) -> _Reader:
    scope = resolve_scope(session, principal, number, filters, max_days)
    return _Reader(session, scope, PersonalData(keyring, scope.personal_data))


def _audit_filters(scope: LedgerScope) -> dict[str, Any]:
    return {
        "ledger": scope.number,
        "organisation_id": scope.organisation.id,
        "facility_id": scope.facility.id if scope.facility else None,
        "from": scope.date_from,
        "to": scope.date_to,
    }


def ledger_page(
    db: Database,
    principal: Principal,
    keyring: Keyring | None,
    number: int,
    filters: LedgerFilters,
    page: int = 1,
    per_page: int = 50,
    max_days: int = 366,
) -> LedgerPage:
    """One page of a ledger; opening customer data is written to the audit log."""
    with db.read() as session:
        reader = _open(session, principal, keyring, number, filters, max_days)
        items = reader.page(page, per_page)
        result = LedgerPage(
            scope=reader.scope,
            items=items,
            total=reader.count(),
            page=page,
            per_page=per_page,
            summary=reader.summary(),
            personal_data_visible=reader.personal.visible,
        )
    if reader.personal.opened:
        with db.transaction() as session:
            audit.record(
                session,
                principal,
                "ledger.personal_data.read",
                "ledger",
                number,
                {
                    **_audit_filters(result.scope),
                    "entry_ids": [item["entry_id"] for item in items],
                    "records_opened": reader.personal.opened,
                },
                organisation_id=result.scope.organisation.id,
            )
    return result


def _write(fmt: str, reader: _Reader, out: IO[bytes]) -> int:
    layout, heading = reader.layout, reader.scope.heading(reader.layout)
    rows = reader.stream()
    if fmt == "csv":
        return csv_export.write_ledger(rows, out, layout)
    writers = {"xlsx": xlsx_export, "pdf": pdf_export, "xml": xml_export}
    return writers[fmt].write_ledger(rows, out, layout, heading, reader.summary() or ())


def export_ledger(
    db: Database,
    principal: Principal,
    keyring: Keyring | None,
    number: int,
    filters: LedgerFilters,
    fmt: str,
    out: IO[bytes],
    limits: ExportLimits | None = None,
) -> ExportResult:
    """Write a whole ledger to `out` in one format; refuses sizes the format cannot carry."""
    limits = limits or ExportLimits()
    with db.read() as session:
        reader = _open(session, principal, keyring, number, filters, limits.max_days)
        cap = limits.pdf_rows if fmt == "pdf" else limits.file_rows
        total = reader.count()
        if total > cap:
            raise LedgerExportTooLarge(
                f"{total} rows; {fmt.upper()} allows at most {cap}", rows=total, limit=cap
            )
        written = _write(fmt, reader, out)
    scope = reader.scope
    with db.transaction() as session:
        action = "ledger.personal_data.export" if reader.personal.opened else "ledger.export"
        audit.record(
            session,
            principal,
            action,
            "ledger",
            number,
            {
                **_audit_filters(scope),
                "format": fmt,
                "rows": written,
                "records_opened": reader.personal.opened,
            },
            organisation_id=scope.organisation.id,
        )
    place = f"{scope.organisation.id}" + (f"-{scope.facility.id}" if scope.facility else "")
    filename = f"so-theo-doi-{number}_{place}_{scope.date_from}_{scope.date_to}.{fmt}"
    return ExportResult(rows=written, filename=filename, mimetype=FORMATS[fmt])
