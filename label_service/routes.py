"""Register the station endpoints: fills, labels and signing keys: every `*_api.py` module's `blp`."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Each module named `*_api.py` in this package contributes one blueprint named `blp`."""
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.endswith("_api"):
            blueprint = importlib.import_module(f"{__package__}.{module.name}").blp
            api.register_blueprint(blueprint)
    hook = getattr(importlib.import_module(__package__), "init_app", None)
    if hook is not None:
        hook(app)
