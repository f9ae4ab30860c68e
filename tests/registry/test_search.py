"""Registry search: Vietnamese accent-insensitive on SQLite and PostgreSQL, scoped per organisation."""

from __future__ import annotations

import pytest


def hits(response, kind=None):
    assert response.status_code == 200, response.json
    return [(h["kind"], h["id"]) for h in response.json["items"] if kind in (None, h["kind"])]


@pytest.mark.parametrize("query", ["dai phat", "ĐẠI PHÁT", "Đại   phát", "phat dai", "DAI"])
def test_accentless_and_any_case_queries_find_dai_phat(api, world, query):
    found = hits(api.as_(world.inspector).get("/search", query_string={"q": query}))
    assert ("organisation", world.org_a.id) in found
    assert ("facility", world.station_a.id) in found


def test_bien_hoa_finds_bien_hoa_by_name_and_address(api, world, db):
    admin = api.as_(world.admin)
    by_address = admin.post(
        "/organisations",
        json={
            "name": "Công ty TNHH Gas Tấn Tài",
            "trade_roles": ["retailer"],
            "address": "Số 35/20, đường Thành Thái, phường Tân Hòa, TP. Biên Hòa",
        },
    ).json
    far = admin.post(
        "/organisations",
        json={
            "name": "Công ty Gas Xuân Lộc",
            "trade_roles": ["retailer"],
            "address": "Ấp 1, xã Xuân Trường, huyện Xuân Lộc",
        },
    ).json
    found = hits(api.as_(world.inspector).get("/search?q=Bien Hoa&kinds=organisation"))
    ids = {item_id for _kind, item_id in found}
    assert world.org_b.id in ids  # by name "Biên Hòa"
    assert by_address["id"] in ids  # by address "… Biên Hòa"
    assert far["id"] not in ids
    assert hits(api.as_(world.inspector).get("/search?q=xuan loc&kinds=organisation")) == [
        ("organisation", far["id"])
    ]


def test_serial_and_tax_code_search(api, world, db):
    with db.transaction() as s:
        tax_code = s.get(type(world.org_b), world.org_b.id).tax_code
    assert hits(api.as_(world.inspector).get("/search?q=dp-0000"), "cylinder") == [
        ("cylinder", world.cyl_a.id)
    ]
    found = hits(api.as_(world.inspector).get(f"/search?q={tax_code}"), "organisation")
    assert found == [("organisation", world.org_b.id)]


def test_traders_find_only_their_own_things(api, world):
    found = hits(api.as_(world.trader_a).get("/search?q=phat"))
    assert sorted(found) == sorted(
        [("organisation", world.org_a.id), ("facility", world.station_a.id)]
    )
    assert hits(api.as_(world.trader_a).get("/search?q=bien hoa")) == []  # org_b, station_b
    assert hits(api.as_(world.trader_a).get("/search?q=bh-000001")) == []
    assert hits(api.as_(world.trader_b).get("/search?q=bh-000001")) == [
        ("cylinder", world.cyl_b.id)
    ]
    assert hits(api.as_(world.shop_user).get("/search?q=dai phat")) == []
    assert hits(api.as_(world.inspector).get("/search?q=bh-000001")) == [
        ("cylinder", world.cyl_b.id)
    ]


def test_wildcards_in_the_query_are_literal(api, world):
    for query in ("%%", "__", "\\%", "a%b"):
        assert hits(api.as_(world.inspector).get("/search", query_string={"q": query})) == []


def test_kinds_limit_and_bad_queries(api, world):
    inspector = api.as_(world.inspector)
    only = hits(inspector.get("/search?q=gas&kinds=facility"))
    assert only == [] or {kind for kind, _ in only} == {"facility"}
    limited = inspector.get("/search?q=cong ty&kinds=organisation&limit=1").json["items"]
    assert len(limited) == 1
    short = inspector.get("/search?q=a")
    assert short.status_code == 422 and short.json["code"] == "search_query_too_short"
    assert inspector.get("/search?q=  ").status_code == 422
    assert inspector.get("/search?q=gas&kinds=users").status_code == 422
    assert inspector.get("/search?q=gas&limit=500").status_code == 422
    assert inspector.get("/search").status_code == 422
    assert inspector.get("/search", query_string={"q": "gas\x00"}).status_code == 422
    assert inspector.get("/search", query_string={"q": "x" * 101}).status_code == 422
    assert (
        inspector.get("/search", query_string={"q": "'; DROP TABLE cylinders; --"}).status_code
        == 200
    )


def test_search_needs_authentication(client, world):
    assert client.get("/api/v1/search?q=gas").status_code == 401


def test_serial_contains_search_can_use_the_trigram_index(db, world):
    """On PostgreSQL a `LIKE '%…%'` on serials is an index scan, not a scan of every cylinder."""
    from sqlalchemy import select, text

    from tests.tools import require_postgres
    from traceability.models import Cylinder
    from traceability.models.search_indexes import SERIAL_TRIGRAM_INDEX
    from traceability.text import like_pattern

    require_postgres()
    query = select(Cylinder.id).where(
        Cylinder.serial_search.like(like_pattern("12345"), escape="\\")
    )
    with db.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert SERIAL_TRIGRAM_INDEX in plan, plan
