"""The domain rules later checks read: licence_in_force and contract_in_force, and ETag helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from traceability.errors import PreconditionFailed
from traceability.models import Organisation
from traceability.models.enums import ContractStatus
from traceability.registry import etag, province_today
from traceability.registry.contracts import contract_in_force
from traceability.registry.organisations import licence_in_force, licence_status

TODAY = province_today()
D = dt.timedelta


def test_licence_in_force_follows_the_licence_period_and_status(db, world):
    with db.transaction() as s:
        org = f.organisation(s, licensed=False)
        lic = f.licence(s, org, expires_on=TODAY + D(days=10))
        assert licence_in_force(s, org.id, TODAY)
        assert licence_in_force(s, org.id, TODAY + D(days=10))  # last day included
        assert not licence_in_force(s, org.id, TODAY + D(days=11))
        assert not licence_in_force(s, org.id, lic.issued_on - D(days=1))
        lic.status = "suspended"
        s.flush()
        assert not licence_in_force(s, org.id, TODAY)
        assert not licence_in_force(s, 999999, TODAY)


def test_an_organisation_without_licences_or_inactive_is_not_licensed(db, world):
    with db.transaction() as s:
        bare = f.organisation(s, licensed=False)
        assert not licence_in_force(s, bare.id, TODAY)
        assert licence_in_force(s, world.org_a.id, TODAY)
        s.get(Organisation, world.org_a.id).active = False
        s.flush()
        assert not licence_in_force(s, world.org_a.id, TODAY)


def test_a_facility_licence_governs_its_facility_only(db, world):
    with db.transaction() as s:
        f.licence(s, world.org_a, facility=world.station_a, expires_on=TODAY - D(days=1))
        other = f.facility(s, world.org_a)
        assert not licence_in_force(s, world.org_a.id, TODAY, facility_id=world.station_a.id)
        assert licence_in_force(s, world.org_a.id, TODAY, facility_id=other.id)  # the org's
        assert licence_in_force(s, world.org_a.id, TODAY)
        f.licence(s, world.org_a, facility=world.station_a)  # renewed
        assert licence_in_force(s, world.org_a.id, TODAY, facility_id=world.station_a.id)


def test_a_facility_licence_alone_does_not_license_the_organisation(db, world):
    with db.transaction() as s:
        org = f.organisation(s, licensed=False)
        station = f.facility(s, org)
        f.licence(s, org, facility=station)
        assert licence_in_force(s, org.id, TODAY, facility_id=station.id)
        assert not licence_in_force(s, org.id, TODAY)


def test_licence_status_precedence(db, world):
    with db.transaction() as s:
        org = f.organisation(s, licensed=False)
        expired = f.licence(s, org, expires_on=TODAY - D(days=5))
        assert licence_status([expired], TODAY) == "expired"
        revoked = f.licence(s, org, status="revoked")
        assert licence_status([expired, revoked], TODAY) == "revoked"
        valid = f.licence(s, org)
        assert licence_status([expired, revoked, valid], TODAY) == "valid"
        assert licence_status([], TODAY) == "none"


def test_contract_in_force_boundaries_and_termination(db, world):
    with db.transaction() as s:
        contract = f.contract(
            s, world.org_a, world.station_b, valid_from=TODAY, valid_to=TODAY + D(days=30)
        )
        assert contract_in_force(s, world.org_a.id, world.station_b.id, TODAY)
        assert contract_in_force(s, world.org_a.id, world.station_b.id, TODAY + D(days=30))
        assert not contract_in_force(s, world.org_a.id, world.station_b.id, TODAY - D(days=1))
        assert not contract_in_force(s, world.org_a.id, world.station_b.id, TODAY + D(days=31))
        # direction matters: B's cylinders at A's station are not covered
        assert not contract_in_force(s, world.org_b.id, world.station_a.id, TODAY)
        assert not contract_in_force(s, world.org_a.id, world.station_a.id, TODAY)
        contract.status = ContractStatus.TERMINATED
        s.flush()
        assert not contract_in_force(s, world.org_a.id, world.station_b.id, TODAY)


@pytest.mark.parametrize(
    ("header", "expected"),
    [('"v3"', {3}), ('W/"v3"', {3}), ('"v1", "v2"', {1, 2})],
)
def test_if_match_parsing(header, expected):
    assert etag.expected_versions(header) == expected


@pytest.mark.parametrize("header", [None, "", "*", "v3", '"3"', '"v-1"', '"v' + "9" * 40 + '"'])
def test_if_match_unusable_is_428(header):
    with pytest.raises(etag.PreconditionRequired):
        etag.expected_versions(header)


def test_ensure_current_and_bump(db, world):
    with db.transaction() as s:
        org = etag.load_for_update(s, Organisation, world.org_a.id, "organisation")
        etag.ensure_current(org, frozenset({1}))
        etag.bump(org, {})
        assert org.version == 1
        etag.bump(org, {"name": {"old": "a", "new": "b"}})
        assert org.version == 2
        with pytest.raises(PreconditionFailed):
            etag.ensure_current(org, frozenset({1}))
