"""Register the station endpoints: fills, labels and signing keys."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

BLUEPRINTS: list = []


def register(app: Flask, api: Api) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
