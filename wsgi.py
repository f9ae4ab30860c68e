"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from traceability.web.app import create_app

app = create_app()
