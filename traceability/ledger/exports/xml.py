"""Ledger to XML for data exchange, written incrementally and valid against `ledgers.xsd`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import IO, Any

from lxml import etree

from traceability.ledger.exports.layout import MASKED, Column, Heading, LedgerLayout

NAMESPACE = "urn:lpg-trace:ledgers:1"
SCHEMA_FILE = "ledgers.xsd"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def schema_text() -> bytes:
    """The XSD shipped in this package (also served to partners who validate our files)."""
    return (resources.files(__package__) / SCHEMA_FILE).read_bytes()


def load_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(schema_text()))


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _NOT_XML.sub("", str(value))


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _field(column: Column, value: Any) -> etree._Element | None:
    if value is None:
        return None
    element = etree.Element(_q(column.xml_name))
    if value == MASKED:
        element.set("masked", "true")
    else:
        element.text = _text(value)
    return element


def _row_element(layout: LedgerLayout, row: Mapping[str, Any], number: int) -> etree._Element:
    element = etree.Element(_q("row"))
    element.set("rowNumber", str(number))
    element.set("type", row.get("row_type") or "entry")
    attributes = (
        ("entryId", row.get("entry_id")),
        ("fillId", row.get("fill_id")),
        ("kind", row.get("kind")),
        ("correctsEntryId", row.get("corrects_entry_id")),
    )
    for name, value in attributes:
        if value is not None:
            element.set(name, _text(value))
    if row.get("corrected_by"):
        element.set("correctedBy", " ".join(str(i) for i in row["corrected_by"]))
    for column in layout.columns:
        child = _field(column, row.get(column.key))
        if child is not None:
            element.append(child)
    if row.get("correction_reason"):
        reason = etree.SubElement(element, _q("correctionReason"))
        reason.text = _text(row["correction_reason"])
    return element


def _party(tag: str, name: str | None, address: str | None) -> etree._Element:
    element = etree.Element(_q(tag))
    etree.SubElement(element, _q("name")).text = _text(name or "")
    if address:
        etree.SubElement(element, _q("address")).text = _text(address)
    return element


def write_ledger(
    rows: Iterable[Mapping[str, Any]],
    out_stream: IO[bytes],
    layout: LedgerLayout,
    heading: Heading,
    summary: Iterable[Mapping[str, Any]] = (),
) -> int:
    """Stream the ledger as UTF-8 XML; one row element at a time, so memory stays flat."""
    count = 0
    with etree.xmlfile(out_stream, encoding="utf-8") as xf:
        xf.write_declaration()
        root_attributes = {
            "number": str(layout.number),
            "generatedAt": _text(heading.generated_at),
        }
        with xf.element(_q(layout.xml_root), root_attributes, nsmap={None: NAMESPACE}):
            title = etree.Element(_q("title"))
            title.text = _text(heading.title)
            xf.write(title)
            xf.write(_party("organisation", heading.organisation, heading.organisation_address))
            if heading.facility:
                xf.write(_party("facility", heading.facility, heading.facility_address))
            period = etree.Element(_q("period"))
            if heading.date_from:
                period.set("from", heading.date_from.isoformat())
            if heading.date_to:
                period.set("to", heading.date_to.isoformat())
            xf.write(period)
            with xf.element(_q("rows")):
                for count, row in enumerate(rows, 1):
                    xf.write(_row_element(layout, row, count))
                    if count % 1000 == 0:
                        xf.flush()
            total = etree.Element(_q("rowCount"))
            total.text = str(count)
            xf.write(total)
            if layout.summary_columns:
                with xf.element(_q("summary")):
                    for item in summary:
                        line = etree.Element(_q("line"))
                        for column in layout.summary_columns:
                            child = _field(column, item.get(column.key))
                            if child is not None:
                                line.append(child)
                        xf.write(line)
    return count
