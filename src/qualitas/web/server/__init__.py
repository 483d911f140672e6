"""Serving qualitas in production: gunicorn, configured from the environment.

``python -m qualitas.web serve`` runs it; ``python -m qualitas.web demo`` runs the
same server (and the background worker) on SQLite.
"""
