"""Fixtures of the verification tests: a station key and a current label on world.cyl_a."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask

from tests.verification.labelkit import LabelKit
from traceability.db import Database
from traceability.verification.service import PublicVerifier


@pytest.fixture
def kit(db: Database) -> LabelKit:
    return LabelKit(db)


@pytest.fixture
def verifier(app: Flask) -> PublicVerifier:
    found: PublicVerifier = app.extensions["lpg_verifier"]
    return found


@pytest.fixture
def labelled(world: SimpleNamespace, kit: LabelKit) -> SimpleNamespace:
    """world plus an active key of station_a and a current label on cyl_a."""
    world.key_a = kit.key(world.station_a)
    world.label_a = kit.issue(world.cyl_a, world.station_a, world.key_a)
    return world
