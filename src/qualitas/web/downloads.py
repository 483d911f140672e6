"""CSV downloads from the web, written one way: UTF-8 with a byte-order mark (so Excel
reads accents and £), and every cell through :func:`qualitas.io.export.safe_cell`, the
same formula guard the command line's files get, so a number exports identically from
both and text typed by someone else never runs as a formula in the reader's spreadsheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

from qualitas.io.export import safe_cell


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """An attachment called ``filename`` holding ``header`` then ``rows``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return response
