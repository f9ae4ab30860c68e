"""One search box over the registry: organisations, facilities and cylinders."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from admin.schemas_registry import Text
from traceability.permissions import Permission
from traceability.registry import search as service
from traceability.web.security import current_principal, get_db, requires

blp = Blueprint("search", __name__, url_prefix="/api/v1", description="Registry search")


class Kinds(ma.fields.String):
    """A comma-separated subset of organisation, facility, cylinder."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        text = super()._deserialize(value, attr, data, **kwargs)
        kinds = [part.strip() for part in text.split(",") if part.strip()]
        unknown = sorted(set(kinds) - set(service.SEARCH_KINDS))
        if not kinds or unknown:
            raise ma.ValidationError(f"Choose from {', '.join(service.SEARCH_KINDS)}.")
        return kinds


class SearchQuery(ma.Schema):
    q = Text(
        100, required=True, metadata={"description": "Accent-insensitive; all words must match"}
    )
    kinds = Kinds(
        load_default=list(service.SEARCH_KINDS),
        metadata={"description": "Comma-separated: organisation,facility,cylinder"},
    )
    limit = ma.fields.Integer(
        load_default=20,
        validate=ma.validate.Range(1, service.MAX_SEARCH_LIMIT),
        metadata={"description": "Results per kind"},
    )


class SearchHit(ma.Schema):
    kind = ma.fields.String()
    id = ma.fields.Integer()
    title = ma.fields.String()
    subtitle = ma.fields.String()
    organisation_id = ma.fields.Integer()


class SearchResult(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SearchHit))


@blp.route("/search")
class Search(MethodView):
    @requires(Permission.REGISTRY_READ)
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, SearchResult)
    @blp.alt_response(422, description="`search_query_too_short`")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Find by name, tax code, address or serial ("dai phat" finds "Đại Phát").

        Traders, stations and shops find only their own organisation, facilities and cylinders.
        """
        return {"items": service.search(get_db(), current_principal(), **args)}
