"""create_app(): assemble configuration, storage, security, the API and every blueprint."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from traceability import config as configuration
from traceability.auth import AuthSettings
from traceability.crypto import Keyring
from traceability.db import Database
from traceability.web import guards, limits, problems
from traceability.web.security import SECURITY_SCHEMES

# Each HTTP package exposes `register(app, api)`; listed here so wiring stays in one place.
HTTP_PACKAGES = ("admin", "label_service", "verify_api")


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` path values beyond a 64-bit id never match (404), so no driver overflows."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class LpgApi(Api):
    """flask-smorest Api with our problem schema, building the OpenAPI document lazily.

    Documenting ~70 resources costs about a second; routes are registered at once, the document
    on first use (GET /api/openapi.json, /api/docs or `lpgtrace openapi`), so workers and tests
    start fast.
    """

    ERROR_SCHEMA = problems.ProblemSchema

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self._spec_lock = threading.RLock()
        self._deferred_spec: dict[str, Any] | None = None
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._built_spec: Any = None
        super().__init__(app, **kwargs)

    @property  # type: ignore[override]
    def spec(self) -> Any:
        if self._deferred_spec is not None or self._undocumented:
            with self._spec_lock:
                self._build_document()
        return self._built_spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._built_spec = value

    def _init_spec(self, **kwargs: Any) -> None:
        self._deferred_spec = kwargs

    def _build_document(self) -> None:
        if self._deferred_spec is not None:
            kwargs, self._deferred_spec = self._deferred_spec, None
            Api._init_spec(self, **kwargs)
            for name, scheme in SECURITY_SCHEMES.items():
                self._built_spec.components.security_scheme(name, scheme)
        while self._undocumented:
            blueprint, name, parameters = self._undocumented.pop(0)
            blueprint.register_views_in_doc(
                self, self._app, self._built_spec, name=name, parameters=parameters
            )
            self._built_spec.tag({"name": name, "description": blueprint.description})

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_error_handlers(self) -> None:
        problems.register(self._app)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the WSGI app; `config` overrides environment settings (tests pass their own)."""
    instance = Path((config or {}).get("INSTANCE_PATH") or Path.cwd() / "instance")
    app = Flask("lpgtrace", instance_path=str(instance.resolve()))
    app.config.update(configuration.resolve(instance, config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if app.config["TRUSTED_PROXY_HOPS"] > 0:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.url_map.converters["int"] = DatabaseIdConverter
    db = Database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    app.extensions["lpg_db"] = db
    app.extensions["lpg_keyring"] = Keyring(app.config["MASTER_KEY"])
    app.extensions["lpg_auth"] = AuthSettings(
        secret=app.config["SECRET_KEY"],
        audience=app.config["JWT_AUDIENCE"],
        issuer=app.config["JWT_ISSUER"],
        access_minutes=app.config["ACCESS_TOKEN_MINUTES"],
        refresh_days=app.config["REFRESH_TOKEN_DAYS"],
    )

    guards.register(app)
    limits.register(app)
    api = LpgApi(app, spec_kwargs={"info": {"description": _API_DESCRIPTION}})
    _register_probes(app, db)
    for package in HTTP_PACKAGES:
        module = importlib.import_module(f"{package}.routes")
        module.register(app, api)

    from traceability import cli

    cli.register(app)
    return app


def _register_probes(app: Flask, db: Database) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness: the process answers."""
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        """Readiness: the database answers a query."""
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any driver error means not ready; the reason goes to the log
            logging.getLogger("lpgtrace.readyz").exception("database not reachable")
            return jsonify(status="unavailable", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    healthz.__lpg_permission__ = "public"  # type: ignore[attr-defined]
    readyz.__lpg_permission__ = "public"  # type: ignore[attr-defined]


_API_DESCRIPTION = """Registry, signed labels and verification of LPG cylinders (Decree 87/2018).

Errors: every error is `application/problem+json` (RFC 9457) with a stable `code`, a `message`
in Vietnamese and English, field-level `errors` for validation failures and a `request_id`.
Authentication: `Authorization: Bearer <access token>` for people, `Authorization: ApiKey <key>`
for station and shop devices.
"""
