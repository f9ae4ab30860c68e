"""Register the authenticated APIs (one blueprint per resource)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from admin import auth_api

BLUEPRINTS = [auth_api.blp]


def register(app: Flask, api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
