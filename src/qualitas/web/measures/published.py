"""Loading published statistics for a measure: every organisation in England at once.

National statistics (A&E waiting times, cancer waiting times, bed occupancy, PROMs)
cover every trust, most of which are not in the loader's system. A published load
adds the organisations it names that qualitas does not know yet (as trusts outside
any system), checks every row through the same checks as any upload (all problems
at once, by row and column), writes the rows, and marks the measure's data as
published, so that any reader of the measure may compare with every organisation.

Only the owner of the measure's definition may do this (``MANAGE_MEASURES`` and
``IMPORT_DATA`` there): publishing is a statement about the data, not a download.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record
from qualitas.web.authorization import require
from qualitas.web.measures import imports, services
from qualitas.web.measures.models import ImportBatch, Measure
from qualitas.web.organisations.models import Organisation

ODS = re.compile(r"^[A-Z0-9]{3,12}$")


def _shipped() -> dict[str, tuple[str, Callable[[Path], pd.DataFrame]]]:
    from qualitas.web.demo import real

    return {
        "ae-4-hour": (
            "ae_attendances.csv (NHS England A&E attendances, type 1)",
            lambda folder: real.ae(folder, None),
        ),
        "cancer-62-day": (
            "cancer_62day_trust_monthly.csv (NHS England Cancer Waiting Times)",
            lambda folder: real.cancer(folder, None),
        ),
        "bed-occupancy": (
            "trust_quarterly_panel_2018_2025.csv (NHS England KH03 bed occupancy)",
            lambda folder: real.panel(folder, None),
        ),
        "hip-health-gain": (
            "proms_hip_knee_provider_timeseries_2011_2019.csv (NHS Digital PROMs)",
            lambda folder: real.proms(folder, None),
        ),
        "knee-health-gain": (
            "proms_hip_knee_provider_timeseries_2011_2019.csv (NHS Digital PROMs)",
            lambda folder: real.proms(folder, None),
        ),
    }


def shipped_codes() -> list[str]:
    """Measures for which qualitas ships a national published dataset."""
    return sorted(_shipped())


# England's standard deviation of one patient's health gain, from NHS Digital's
# 2018-19 data pack (proms_hip_knee_provider_outliers_2016_2019.csv).
PROMS_SD = {
    "hip-health-gain": ("Total Hip Replacement", "Oxford Hip Score"),
    "knee-health-gain": ("Total Knee Replacement", "Oxford Knee Score"),
}


def shipped_sd(code: str, folder: Path | None = None) -> float | None:
    """The standard deviation of one record that comparing the shipped means needs
    (PROMs), from the published file; None for other measures."""
    wanted = PROMS_SD.get(code)
    if wanted is None:
        return None
    folder = Path(folder or settings.QUALITAS_DATA_DIR)
    d = pd.read_csv(folder / "proms_hip_knee_provider_outliers_2016_2019.csv")
    d = d[(d["procedure"] == wanted[0]) & (d["measure"] == wanted[1])]
    latest = d[d["year"] == d["year"].max()]
    return float(latest["england_sd"].iloc[0])


def shipped(code: str, folder: Path | None = None) -> tuple[str, pd.DataFrame]:
    """The shipped national dataset for the measure ``code``, as upload rows."""
    found = _shipped().get(code)
    if found is None:
        raise KeyError(
            f"qualitas ships no published data for {code!r}; it ships data for "
            f"{', '.join(shipped_codes())}. Give a file instead."
        )
    name, read = found
    frame = read(Path(folder or settings.QUALITAS_DATA_DIR))
    return name, frame[frame["measure"] == code].reset_index(drop=True)


def shipped_names(folder: Path | None = None) -> dict[str, str]:
    """Organisation names from the shipped files (ODS code -> name)."""
    folder = Path(folder or settings.QUALITAS_DATA_DIR)
    names: dict[str, str] = {}
    for file, code, name in (
        ("trust_quarterly_panel_2018_2025.csv", "org_code", "org_name"),
        ("cancer_62day_trust_monthly.csv", "org_code", "org_name"),
        ("proms_hip_knee_provider_timeseries_2011_2019.csv", "OrgCode", "OrgName"),
    ):
        d = pd.read_csv(folder / file, usecols=[code, name], dtype=str)
        for c, n in d.dropna().drop_duplicates(code).itertuples(index=False):
            names.setdefault(c.upper(), _tidy(n))
    d = pd.read_csv(folder / "trust_names.csv", dtype=str)
    names.update({c.upper(): n for c, n in d.itertuples(index=False)})
    return names


def _tidy(name: str) -> str:
    """Upper-case published names in title case, keeping NHS as it is written."""
    if name != name.upper():
        return name
    return re.sub(r"\bNhs\b", "NHS", name.title())


class Refused(Exception):
    """The load was refused; ``batch`` (rejected) holds the reasons by row."""

    def __init__(self, batch: ImportBatch) -> None:
        super().__init__(
            "; ".join(
                f"row {e['row']}, {e['column'] or 'file'}: {e['message']}"
                for e in batch.errors[:10]
            )
        )
        self.batch = batch


def load_published(
    *,
    by: Any,
    measure: Measure,
    frame: pd.DataFrame,
    filename: str,
    names: dict[str, str] | None = None,
    record_sd: float | None = None,
) -> ImportBatch:
    """Load ``frame`` (upload columns: organisation, period, numerator and
    denominator or value; a ``measure`` column, if any, must name this measure) as
    the published statistics of ``measure`` (``record_sd``: the standard deviation
    of one record, for comparing means such as PROMs health gain). Raises :class:`Refused` with a rejected
    batch, naming every problem by row and column; nothing is changed then."""
    require(by, Permission.MANAGE_MEASURES, measure.organisation)
    require(by, Permission.IMPORT_DATA, measure.organisation)
    frame = frame.copy()
    if "measure" not in frame:
        frame.insert(0, "measure", measure.code)
    names = {k.upper(): v for k, v in (names or {}).items()}
    try:
        with transaction.atomic():
            batch = _load(by, measure, frame, filename, names)
            if record_sd is not None:
                measure.record_sd = record_sd
                measure.save(update_fields=["record_sd"])
    except Refused as refused:
        refused.batch.pk = None
        refused.batch.save()
        raise
    return batch


def _load(
    by: Any, measure: Measure, frame: pd.DataFrame, filename: str, names: dict
) -> ImportBatch:
    data = frame.to_csv(index=False).encode()
    batch = ImportBatch(
        organisation=measure.organisation,
        by=by,
        source=ImportBatch.Source.UPLOAD,
        filename=filename[:255],
        file_size=len(data),
    )
    read = imports.read_table(data, "published.csv", limits=services.upload_limits())
    codes = read.table["organisation"].str.strip().str.upper()
    bad = codes[~codes.str.match(ODS)]
    if len(bad):
        batch.status = ImportBatch.Status.REJECTED
        batch.error_count = len(bad)
        batch.errors = [
            {
                "row": int(row),
                "column": "organisation",
                "message": f"{code!r} is not an ODS code (3 to 12 letters and digits)",
            }
            for row, code in bad.head(imports.MAX_ERRORS_KEPT).items()
        ]
        raise Refused(batch)
    known = set(Organisation.objects.values_list("ods_code", flat=True))
    new = sorted(set(codes) - known)
    Organisation.objects.bulk_create(
        [
            Organisation(
                ods_code=c, name=names.get(c, c)[:200], kind=Organisation.Kind.TRUST
            )
            for c in new
        ]
    )
    ids = dict(
        Organisation.objects.filter(ods_code__in=set(codes)).values_list(
            "ods_code", "id"
        )
    )
    lookup = imports.Lookup(
        measures={
            measure.code.lower(): {
                "id": measure.pk,
                "rules": measure.rules,
                "breakdowns": list(measure.breakdowns or []),
            }
        },
        organisations={c.upper(): pk for c, pk in ids.items()},
        allowed=set(ids.values()),
        units={},
        scope_name="the published statistics",
    )
    checked = imports.check(read, lookup, today=timezone.localdate())
    batch.rows = checked.rows
    if not checked.ok:
        batch.status = ImportBatch.Status.REJECTED
        batch.error_count = checked.error_count
        batch.errors = [e.as_dict() for e in checked.errors]
        raise Refused(batch)
    batch.status = ImportBatch.Status.PREVIEWED
    batch.pending = imports.to_bytes(checked.frame)
    batch.summary = {"published": True, "new_organisations": len(new)}
    batch.save()
    batch = services.apply_import(by=by, batch=batch)
    if measure.sharing != Measure.Sharing.PUBLISHED:
        measure.sharing = Measure.Sharing.PUBLISHED
        measure.save(update_fields=["sharing"])
    record(
        by=by,
        action="measure.published",
        obj=measure,
        organisation=measure.organisation,
        summary=(
            f"'{measure.name}' loaded as published statistics from {filename}: "
            f"{batch.rows} rows for {len(ids)} organisations "
            f"({len(new)} new to qualitas); its figures may now be compared by "
            "anyone who can read the measure"
        ),
    )
    return batch


def read_file(path: Path) -> pd.DataFrame:
    """A CSV of upload rows, as text (the checks read the numbers)."""
    return pd.read_csv(io.BytesIO(Path(path).read_bytes()), dtype=str).fillna("")
