"""The Decree 87 fill rules as pure functions over already-loaded rows, each with its own error.

Nothing here touches the database, so a batch of 500 fills is checked against data loaded in a
few queries, and every rule can be tested on plain objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from traceability.errors import BusinessRuleViolation, Conflict, Forbidden
from traceability.models import Cylinder, CylinderType, Facility, FillingContract, Licence
from traceability.models.enums import CylinderStatus, FacilityKind
from traceability.registry.organisations import governing_licences


class FillRefused(BusinessRuleViolation):
    """A fill the regulation forbids; subclasses name the rule."""

    code = "fill_refused"
    message_vi = "Không được phép ghi nhận lần nạp này."
    message_en = "This fill may not be recorded."


class NotAFillingStation(Forbidden):
    code = "not_a_filling_station"
    message_vi = "Tài khoản không gắn với một trạm chiết nạp đang hoạt động."
    message_en = "The caller is not bound to an active filling station."


class StationLicenceNotInForce(FillRefused):
    code = "station_licence_not_in_force"
    message_vi = (
        "Giấy chứng nhận đủ điều kiện của trạm chiết nạp đã hết hạn, bị đình chỉ hoặc thu hồi."
    )
    message_en = "The station's certificate of eligibility has expired, been suspended or revoked."


class CylinderUnknown(FillRefused):
    code = "cylinder_unknown"
    message_vi = "Không tìm thấy chai trong sổ đăng ký."
    message_en = "The cylinder is not in the registry."


class Appropriation(FillRefused):
    code = "appropriation_no_contract"
    message_vi = (
        "Chai thuộc thương nhân khác và không có hợp đồng chiết nạp còn hiệu lực với trạm này."
    )
    message_en = "The cylinder belongs to another trader with no filling contract in force with this station."


class InspectionOverdue(FillRefused):
    code = "inspection_overdue"
    message_vi = "Chai đã quá hạn kiểm định định kỳ tại thời điểm nạp."
    message_en = "The cylinder's periodic inspection was overdue at the time of the fill."


class CylinderNotInService(FillRefused):
    code = "cylinder_not_in_service"
    message_vi = "Chai đang bị cách ly, đã hủy, bị mất, bị trộm hoặc bị tạm giữ; không được nạp."
    message_en = (
        "The cylinder is quarantined, scrapped, lost, stolen or seized and may not be filled."
    )


class NetMassNotPositive(FillRefused):
    code = "net_mass_not_positive"
    message_vi = "Khối lượng khí nạp phải lớn hơn 0."
    message_en = "The net mass filled must be greater than zero."


class NetMassOverCapacity(FillRefused):
    code = "net_mass_over_capacity"
    message_vi = "Khối lượng khí nạp vượt quá khối lượng danh định của loại chai (cộng dung sai)."
    message_en = "The net mass exceeds the cylinder type's nominal mass plus the tolerance."


class GrossNetMismatch(FillRefused):
    code = "gross_net_mismatch"
    message_vi = "Khối lượng cả bì trừ khối lượng bì không khớp với khối lượng khí nạp."
    message_en = "Gross minus tare does not match the net mass within the tolerance."


class FillInFuture(FillRefused):
    code = "fill_in_future"
    message_vi = "Thời điểm nạp ở tương lai."
    message_en = "The fill time is in the future."


class HiringOrganisationUnknown(FillRefused):
    code = "hiring_org_unknown"
    message_vi = "Không tìm thấy thương nhân thuê chiết nạp."
    message_en = "The trader who hired the filling is unknown or inactive."


class LabelFieldsUnencodable(FillRefused):
    code = "label_fields_unencodable"
    message_vi = "Dữ liệu chai (số sê-ri, nhãn hiệu, loại, khối lượng bì) không in được lên tem."
    message_en = "The cylinder's serial, brand, type or tare cannot be carried by a label."


class NoSigningKey(Conflict):
    code = "signing_key_unavailable"
    message_vi = "Trạm chưa có khóa ký còn hiệu lực cho thời điểm nạp này; liên hệ Sở Công Thương."
    message_en = "The station has no signing key valid for this fill time; ask the department."


class FillUuidConflict(Conflict):
    code = "fill_uuid_conflict"
    message_vi = "Mã client_uuid đã được dùng cho một lần nạp khác nội dung."
    message_en = "This client_uuid was already used for a fill with different content."


def check_station(station: Facility | None) -> Facility:
    """The caller must act for an active filling station."""
    if station is None or station.kind != FacilityKind.FILLING_STATION or not station.active:
        raise NotAFillingStation()
    return station


def check_licence(licences: Iterable[Licence], station_id: int, day: dt.date) -> None:
    """The station (or its organisation) must hold a licence in force on the fill day."""
    if not any(lic.in_force_on(day) for lic in governing_licences(licences, station_id)):
        raise StationLicenceNotInForce(f"no licence in force on {day.isoformat()}")


def check_owner_may_use_station(
    cylinder: Cylinder, station: Facility, contracts: Iterable[FillingContract], day: dt.date
) -> None:
    """A station fills its own organisation's cylinders, or an owner's under a contract in force."""
    if cylinder.owner_id == station.organisation_id:
        return
    if not any(
        c.owner_id == cylinder.owner_id and c.station_id == station.id and c.in_force_on(day)
        for c in contracts
    ):
        raise Appropriation(f"no filling contract with the owner on {day.isoformat()}")


def check_cylinder_state(cylinder: Cylinder, day: dt.date) -> None:
    """Only an in-service cylinder whose inspection is not overdue on the fill day is filled."""
    if cylinder.status != CylinderStatus.IN_SERVICE:
        raise CylinderNotInService(f"cylinder status is {cylinder.status}")
    if cylinder.inspection_due < day:
        raise InspectionOverdue(f"inspection was due on {cylinder.inspection_due.isoformat()}")


def check_masses(
    net_kg: Decimal,
    gross_kg: Decimal | None,
    cylinder: Cylinder,
    cylinder_type: CylinderType,
    fill_tolerance_kg: Decimal,
    gross_tolerance_kg: Decimal,
) -> None:
    """Net mass positive and within nominal + tolerance; gross − tare ≈ net when gross is given."""
    if net_kg <= 0:
        raise NetMassNotPositive(f"net mass {net_kg} kg")
    limit = cylinder_type.nominal_kg + fill_tolerance_kg
    if net_kg > limit:
        raise NetMassOverCapacity(f"net mass {net_kg} kg is above {limit} kg")
    if gross_kg is not None and abs(gross_kg - cylinder.tare_kg - net_kg) > gross_tolerance_kg:
        raise GrossNetMismatch(
            f"gross {gross_kg} kg − tare {cylinder.tare_kg} kg ≠ net {net_kg} kg "
            f"(± {gross_tolerance_kg} kg)"
        )


def check_fill_time(filled_at: dt.datetime, now: dt.datetime, clock_skew_seconds: int) -> None:
    """A fill may be reported late (offline devices) but not ahead of the clock beyond the skew."""
    if filled_at > now + dt.timedelta(seconds=clock_skew_seconds):
        raise FillInFuture(f"filled_at {filled_at.isoformat()} is after {now.isoformat()}")
