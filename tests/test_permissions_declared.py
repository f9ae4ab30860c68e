"""Every endpoint declares the permission it needs; none is left open by accident."""

from __future__ import annotations

from traceability.permissions import Permission
from traceability.web.security import PERMISSION_ATTR

# Served by Flask or flask-smorest themselves, not by our views.
FRAMEWORK_ENDPOINTS = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}


def _views(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            yield rule, rule.endpoint, view
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, f"{rule.endpoint}.{method}", getattr(view_class, method.lower())


def test_every_endpoint_declares_a_permission(app):
    missing = [name for _rule, name, view in _views(app) if not hasattr(view, PERMISSION_ATTR)]
    assert missing == []


def test_declared_permissions_are_known(app):
    known = {p.value for p in Permission}
    unknown = {
        name: getattr(view, PERMISSION_ATTR)
        for _r, name, view in _views(app)
        if str(getattr(view, PERMISSION_ATTR)) not in known
    }
    assert unknown == {}


def test_openapi_documents_security_for_protected_operations(client):
    spec = client.get("/api/openapi.json").json
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if operation.get("x-permission"):
                assert operation.get("security"), f"{method.upper()} {path}"
