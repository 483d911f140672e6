"""Background jobs: work too long for a web request (board packs, big imports).

A :class:`~qualitas.web.jobs.models.Job` is what the person who asked sees: what is
being done, how far it has got, and the result (a file to download, or a page to go
to) or a plain message saying why it failed. The queue underneath is django-tasks'
database backend, so jobs wait in the project's own database, survive a restart of
the web server or the worker, and need no other service. ``python -m qualitas.web
worker`` runs them.
"""
