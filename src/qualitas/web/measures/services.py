"""Every change to measures and their data. Each function takes the acting user as
``by=``, checks their permission, runs in one transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from qualitas.io import validation
from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record, snapshot
from qualitas.web.authorization import (
    ancestors,
    descendants,
    hierarchy,
    organisation_ids,
    require,
)
from qualitas.web.measures import imports, versions, words
from qualitas.web.measures.models import (
    Annotation,
    Correction,
    ImportBatch,
    Measure,
    Observation,
    Rebase,
    Target,
)
from qualitas.web.notifications import events as notification_events
from qualitas.web.organisations.models import Organisation, Unit

KEY = ["measure_id", "organisation_id", "unit_id", "period", "breakdown", "stratum"]
CHUNK = 5000


# --- the register ------------------------------------------------------------------


@transaction.atomic
def create_measure(*, by: Any, organisation: Organisation, **fields: Any) -> Measure:
    require(by, Permission.MANAGE_MEASURES, organisation)
    measure = Measure(organisation=organisation, **fields)
    measure.full_clean()
    measure.save()
    record(
        by=by,
        action="measure.created",
        obj=measure,
        summary=f"Added measure '{measure.name}' to the register",
        after=snapshot(measure),
    )
    return measure


@transaction.atomic
def update_measure(*, by: Any, measure: Measure, **fields: Any) -> Measure:
    require(by, Permission.MANAGE_MEASURES, measure)
    before = snapshot(Measure.objects.get(pk=measure.pk))
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.full_clean()
    measure.save()
    after = snapshot(measure)
    record(
        by=by,
        action="measure.updated",
        obj=measure,
        summary=f"Changed the definition of '{measure.name}'",
        before=before,
        after=after,
    )
    return measure


@transaction.atomic
def set_target(
    *,
    by: Any,
    measure: Measure,
    starts: dt.date,
    value: float,
    organisation: Organisation | None = None,
    note: str = "",
) -> Target:
    """Add a target from ``starts`` (several make a trajectory), or change the one that
    starts then."""
    require(by, Permission.MANAGE_MEASURES, measure)
    existing = Target.objects.filter(
        measure=measure, organisation=organisation, starts=starts
    ).first()
    before = snapshot(existing) if existing else None
    target = existing or Target(
        measure=measure, organisation=organisation, starts=starts, value=value
    )
    target.value = value
    target.note = note
    target.full_clean()
    target.save()
    record(
        by=by,
        action="target.set",
        obj=target,
        organisation=measure.organisation,
        summary=f"Set the target of '{measure.name}' to {value:g} from {starts:%B %Y}",
        before=before,
        after=snapshot(target),
    )
    return target


@transaction.atomic
def remove_target(*, by: Any, target: Target) -> None:
    require(by, Permission.MANAGE_MEASURES, target.measure)
    before = snapshot(target)
    record(
        by=by,
        action="target.removed",
        obj=target,
        organisation=target.measure.organisation,
        summary=f"Removed the target of '{target.measure.name}' from {target.starts:%B %Y}",
        before=before,
    )
    target.delete()


# --- notes and baselines on a chart ---------------------------------------------------


def _check_period(period: dt.date) -> dt.date:
    if period.day != 1:
        raise ValidationError("A period is the first day of a month.")
    return period


@transaction.atomic
def add_annotation(
    *, by: Any, measure: Measure, organisation: Organisation, period: dt.date, text: str
) -> Annotation:
    require(by, Permission.ANNOTATE_CHART, organisation)
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write what happened."})
    note = Annotation.objects.create(
        measure=measure,
        organisation=organisation,
        period=_check_period(period),
        text=text,
        by=by,
    )
    record(
        by=by,
        action="annotation.added",
        obj=note,
        summary=f"Noted on '{measure.name}' at {organisation.ods_code}, {period:%B %Y}: {text[:200]}",
        after=snapshot(note),
    )
    return note


@transaction.atomic
def delete_annotation(*, by: Any, annotation: Annotation) -> None:
    require(by, Permission.ANNOTATE_CHART, annotation.organisation)
    if annotation.by_id != getattr(by, "pk", None) and not _is_admin(
        by, annotation.organisation
    ):
        raise ValidationError(
            "Only the person who wrote a note, or an administrator, can remove it."
        )
    before = snapshot(annotation)
    record(
        by=by,
        action="annotation.removed",
        obj=annotation,
        summary=f"Removed a note on '{annotation.measure.name}' ({annotation.period:%B %Y})",
        before=before,
    )
    annotation.delete()


def _is_admin(user: Any, organisation: Organisation) -> bool:
    from qualitas.web.authorization import has_permission

    return has_permission(user, Permission.ADMINISTER, organisation)


MIN_REASON = 10


@transaction.atomic
def rebase(
    *,
    by: Any,
    measure: Measure,
    organisation: Organisation,
    period: dt.date,
    reason: str,
) -> Rebase:
    """Start a new baseline at ``period``. Making Data Count guidance: recalculate only
    once the cause of a sustained change is understood, so a reason is required."""
    require(by, Permission.REBASE_CHART, organisation)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {
                "reason": "Say why the process has changed (what changed, and when) before recalculating the limits."
            }
        )
    if Rebase.objects.filter(
        measure=measure, organisation=organisation, period=period
    ).exists():
        raise ValidationError(
            {"period": f"The chart already starts a new baseline in {period:%B %Y}."}
        )
    if (
        not Observation.objects.totals()
        .filter(measure=measure, organisation=organisation, period=period)
        .exists()
    ):
        raise ValidationError(
            {
                "period": f"There is no value for {period:%B %Y} to start a baseline from."
            }
        )
    change = Rebase.objects.create(
        measure=measure,
        organisation=organisation,
        period=_check_period(period),
        reason=reason,
        by=by,
    )
    record(
        by=by,
        action="chart.rebased",
        obj=change,
        summary=f"Rebased '{measure.name}' at {organisation.ods_code} from {period:%B %Y}: {reason[:200]}",
        after=snapshot(change),
    )
    return change


@transaction.atomic
def remove_rebase(*, by: Any, change: Rebase, reason: str) -> None:
    require(by, Permission.REBASE_CHART, change.organisation)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": "Say why this baseline should be removed."})
    before = snapshot(change)
    record(
        by=by,
        action="chart.rebase_removed",
        obj=change,
        summary=f"Removed the baseline from {change.period:%B %Y} on '{change.measure.name}': {reason[:200]}",
        before=before,
        after={"reason_for_removal": reason},
    )
    change.delete()


# --- writers of the same series take turns ------------------------------------------


def _series_lock_key(measure_id: int, organisation_id: int) -> int:
    """A signed 64-bit number naming one measure at one organisation, the same in
    every process (Python's hash() is not)."""
    digest = hashlib.blake2b(
        f"qualitas.observations:{measure_id}:{organisation_id}".encode(),
        digest_size=8,
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_series(pairs: Any) -> None:
    """Wait until no other transaction is writing the given (measure id, organisation
    id) series, then hold them until this transaction ends. Call inside the write's
    transaction, before reading what is already stored.

    Without this, two PostgreSQL transactions that add the same period each see no
    row, both insert, and the second fails on the unique constraint. SQLite needs
    nothing here: its transactions take the database's write lock when they begin
    (settings: ``transaction_mode``), so writers already take turns. The locks are
    taken in one order (sorted keys), so two imports cannot wait for each other."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_series_lock_key(int(m), int(o)) for m, o in pairs})
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[])"
            " WITH ORDINALITY AS t(k, i) ORDER BY i",
            [keys],
        )


# --- data in: one value -------------------------------------------------------------


def _checked_numbers(
    measure: Measure,
    period: dt.date,
    value: float | None,
    numerator: float | None,
    denominator: float | None,
) -> tuple[float, float | None, float | None]:
    """One value checked as every way in checks it; (value, numerator, denominator)."""
    # The rules every way in shares: a count is whole, a proportion at most 100%...
    entry = validation.check_entry(
        measure.rules,
        name=measure.code,
        period=period.isoformat(),
        **{
            name: "" if x is None else repr(float(x))
            for name, x in (
                ("value", value),
                ("numerator", numerator),
                ("denominator", denominator),
            )
        },
        today=timezone.localdate(),
    )
    if entry.problems:
        raise ValidationError(
            {
                (field or NON_FIELD_ERRORS): [m[0].upper() + m[1:] + "." for m in ms]
                for field, ms in entry.problems.items()
            }
        )
    return entry.value, entry.numerator, entry.denominator


@transaction.atomic
def enter_value(
    *,
    by: Any,
    measure: Measure,
    organisation: Organisation,
    period: dt.date,
    value: float | None = None,
    numerator: float | None = None,
    denominator: float | None = None,
    unit: Unit | None = None,
) -> tuple[Observation, bool]:
    """Save this period's value (or numerator and denominator). Returns the observation
    and whether it replaced an earlier value."""
    require(by, Permission.ENTER_DATA, organisation)
    _check_period(period)
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError({"unit": "That unit belongs to another organisation."})
    value, numerator, denominator = _checked_numbers(
        measure, period, value, numerator, denominator
    )
    lock_series([(measure.pk, organisation.pk)])
    existing = (
        Observation.objects.select_for_update()
        .filter(
            measure=measure,
            organisation=organisation,
            unit=unit,
            period=period,
            breakdown="",
            stratum="",
        )
        .first()
    )
    before = snapshot(existing, exclude=("batch",)) if existing else None
    if existing is not None and (value, numerator, denominator) != (
        existing.value,
        existing.numerator,
        existing.denominator,
    ):
        # Entering a month again changes what was stored: kept as a correction.
        Correction.objects.create(
            **_key(existing),
            kind=Correction.Kind.CORRECTED,
            **_old_values(existing),
            new_value=value,
            new_numerator=numerator,
            new_denominator=denominator,
            reason="Replaced by a new value entered on the form.",
            by=by,
        )
    obs = existing or Observation(
        measure=measure, organisation=organisation, unit=unit, period=period
    )
    obs.value, obs.numerator, obs.denominator, obs.batch = (
        value,
        numerator,
        denominator,
        None,
    )
    obs.save()
    where = organisation.ods_code + (f" ({unit.name})" if unit else "")
    record(
        by=by,
        action="observation.updated" if existing else "observation.entered",
        obj=obs,
        summary=f"{'Changed' if existing else 'Entered'} {measure.name} for {where}, {period:%B %Y}: {value:.{measure.decimals}f}",
        before=before,
        after=snapshot(obs, exclude=("batch",)),
    )
    notification_events.after_data_change([(measure.pk, organisation.pk)])
    return obs, existing is not None


# --- putting a stored value right -------------------------------------------------------


def _where(obs: Observation) -> str:
    place = obs.organisation.ods_code
    if obs.unit_id:
        place += f" ({obs.unit.name})"
    if obs.breakdown:
        place += f", {obs.breakdown}: {obs.stratum}"
    return place


def _current(observation: Observation, seen: str | None) -> Observation:
    """The observation as stored now, locked for this transaction. ``seen`` is when it
    was last changed as the person saw it: if it has changed since, they must look
    again rather than overwrite someone else's change unknowingly."""
    lock_series([(observation.measure_id, observation.organisation_id)])
    current = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("measure", "organisation", "unit")
        .filter(pk=observation.pk)
        .first()
    )
    if current is None:
        raise ValidationError(
            "This value has been withdrawn or replaced since you opened it. "
            "Open the measure's data again to see what is stored now."
        )
    if seen is not None and current.updated_at.isoformat() != seen:
        raise ValidationError(
            "Someone changed this value after you opened it: it is now "
            f"{words.number(current.value, current.measure.decimals)}. "
            "Check it, then correct it again if it is still wrong."
        )
    return current


def _correction_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {
                "reason": "Say why the value is wrong (for example, what was miscounted "
                "and where the right figure comes from)."
            }
        )
    return reason


def _old_values(obs: Observation) -> dict[str, Any]:
    return {
        "old_value": obs.value,
        "old_numerator": obs.numerator,
        "old_denominator": obs.denominator,
    }


def _key(obs: Observation) -> dict[str, Any]:
    return {
        "measure": obs.measure,
        "organisation": obs.organisation,
        "unit": obs.unit,
        "period": obs.period,
        "breakdown": obs.breakdown,
        "stratum": obs.stratum,
    }


@transaction.atomic
def correct_value(
    *,
    by: Any,
    observation: Observation,
    reason: str,
    value: float | None = None,
    numerator: float | None = None,
    denominator: float | None = None,
    seen: str | None = None,
) -> Correction:
    """Replace a stored value with the right one. The earlier value stays in the
    correction record and the audit log; charts and reports mark the period."""
    require(by, Permission.ENTER_DATA, observation.organisation)
    reason = _correction_reason(reason)
    current = _current(observation, seen)
    measure = current.measure
    value, numerator, denominator = _checked_numbers(
        measure, current.period, value, numerator, denominator
    )
    if (value, numerator, denominator) == (
        current.value,
        current.numerator,
        current.denominator,
    ):
        raise ValidationError("That is the value already stored: nothing to correct.")
    before = snapshot(current, exclude=("batch",))
    change = Correction.objects.create(
        **_key(current),
        kind=Correction.Kind.CORRECTED,
        **_old_values(current),
        new_value=value,
        new_numerator=numerator,
        new_denominator=denominator,
        reason=reason,
        by=by,
    )
    current.value, current.numerator, current.denominator = (
        value,
        numerator,
        denominator,
    )
    current.batch = None  # the value no longer comes from the import
    current.save()
    record(
        by=by,
        action="observation.corrected",
        obj=current,
        summary=f"Corrected {measure.name} for {_where(current)}, {current.period:%B %Y}: "
        f"{words.number(change.old_value, measure.decimals)} to "
        f"{words.number(value, measure.decimals)}. Why: {reason[:200]}",
        before=before,
        after={
            **snapshot(current, exclude=("batch",)),
            "reason": reason,
            "correction": change.pk,
        },
    )
    notification_events.after_data_change([(measure.pk, current.organisation_id)])
    return change


@transaction.atomic
def withdraw_value(
    *, by: Any, observation: Observation, reason: str, seen: str | None = None
) -> Correction:
    """Take a stored value back (it should never have been there): the period has no
    value from now on. The value stays in the correction record and the audit log."""
    require(by, Permission.ENTER_DATA, observation.organisation)
    reason = _correction_reason(reason)
    current = _current(observation, seen)
    measure = current.measure
    change = Correction.objects.create(
        **_key(current),
        kind=Correction.Kind.WITHDRAWN,
        **_old_values(current),
        reason=reason,
        by=by,
    )
    record(
        by=by,
        action="observation.withdrawn",
        obj=current,
        summary=f"Withdrew {measure.name} for {_where(current)}, {current.period:%B %Y} "
        f"(was {words.number(current.value, measure.decimals)}). Why: {reason[:200]}",
        before=snapshot(current, exclude=("batch",)),
        after={"reason": reason, "correction": change.pk},
    )
    current.delete()
    notification_events.after_data_change([(measure.pk, change.organisation_id)])
    return change


# --- data in: files and the API ------------------------------------------------------


def import_scope(user: Any, organisation: Organisation) -> set[int]:
    """Organisations a load for ``organisation`` may contain: it and its members,
    where the user may import data."""
    _, children = hierarchy()
    family = {organisation.pk, *descendants(organisation.pk, children)}
    return family & organisation_ids(user, Permission.IMPORT_DATA)


def lookup_for(user: Any, organisation: Organisation) -> imports.Lookup:
    parents, children = hierarchy()
    family = {organisation.pk, *descendants(organisation.pk, children)}
    owners = family | set(ancestors(organisation.pk, parents))
    measures = {
        m.code.lower(): {
            "id": m.pk,
            "rules": m.rules,
            "breakdowns": list(m.breakdowns or []),
        }
        for m in Measure.objects.filter(organisation_id__in=owners).only(
            "id",
            "code",
            "aggregation",
            "multiplier",
            "decimals",
            "unit",
            "frequency",
            "breakdowns",
        )
    }
    orgs = {
        code.upper(): pk
        for pk, code in Organisation.objects.values_list("id", "ods_code")
    }
    units = {
        (org_id, name.lower()): pk
        for pk, org_id, name in Unit.objects.filter(
            organisation_id__in=family
        ).values_list("id", "organisation_id", "name")
    }
    names = {
        " ".join(name.lower().split()): code.lower()
        for code, name in Measure.objects.filter(
            organisation_id__in=owners
        ).values_list("code", "name")
    }
    return imports.Lookup(
        measures=measures,
        organisations=orgs,
        allowed=import_scope(user, organisation),
        units=units,
        scope_name=f"{organisation.name} ({organisation.ods_code})",
        names=names,
        organisation=organisation.ods_code,
    )


def check_upload(
    *, by: Any, organisation: Organisation, filename: str, size: int, chunks: Any
) -> ImportBatch:
    """An uploaded file, read in chunks: a file over the size limit is hashed for the
    history but never held in memory."""
    limit = settings.QUALITAS_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    kept: list[bytes] = []
    for chunk in chunks:
        digest.update(chunk)
        if size <= limit:
            kept.append(chunk)
    return check_file(
        by=by,
        organisation=organisation,
        filename=filename,
        data=b"".join(kept),
        size=size,
        file_hash=digest.hexdigest(),
    )


@transaction.atomic
def check_file(
    *,
    by: Any,
    organisation: Organisation,
    filename: str,
    data: bytes,
    size: int | None = None,
    file_hash: str | None = None,
) -> ImportBatch:
    """Read and check a file; keep it as a batch waiting to be applied, or as a
    rejected batch with the reasons. Nothing else changes."""
    require(by, Permission.IMPORT_DATA, organisation)
    size = len(data) if size is None else size
    batch = ImportBatch(
        organisation=organisation,
        by=by,
        source=ImportBatch.Source.UPLOAD,
        filename=filename[:255],
        file_hash=file_hash or hashlib.sha256(data).hexdigest(),
        file_size=size,
    )
    try:
        if size > settings.QUALITAS_MAX_UPLOAD_BYTES:
            raise imports.FileRefused(
                imports.too_big_message(size, settings.QUALITAS_MAX_UPLOAD_BYTES)
            )
        read = imports.read_table(data, filename, limits=upload_limits())
    except imports.FileRefused as e:
        batch.status = ImportBatch.Status.REJECTED
        batch.error_count = 1
        batch.errors = [{"row": None, "column": "", "message": str(e)}]
        batch.save()
        return batch
    _check_into(batch, read, lookup_for(by, organisation))
    batch.save()
    return batch


def upload_limits() -> imports.Limits:
    """The limits on a file, from the settings."""
    return imports.Limits(
        max_bytes=settings.QUALITAS_MAX_UPLOAD_BYTES,
        max_rows=settings.QUALITAS_MAX_UPLOAD_ROWS,
        seconds=settings.QUALITAS_IMPORT_SECONDS,
        max_memory=settings.QUALITAS_IMPORT_MEMORY_MB * 1024 * 1024,
    )


def _check_into(
    batch: ImportBatch, read: imports.Read, lookup: imports.Lookup
) -> imports.Checked:
    checked = imports.check(read, lookup, today=timezone.localdate())
    batch.rows = checked.rows
    if read.note:
        batch.summary = {"read_as": read.note}
    if not checked.ok:
        batch.status = ImportBatch.Status.REJECTED
        batch.error_count = checked.error_count
        batch.errors = [e.as_dict() for e in checked.errors]
        return checked
    matched = _match_existing(checked.frame)
    batch.status = ImportBatch.Status.PREVIEWED
    batch.updated = int(matched["existing_id"].notna().sum())
    batch.added = checked.rows - batch.updated
    batch.summary = {**batch.summary, **_summary(checked.frame)}
    batch.pending = imports.to_bytes(checked.frame)
    return checked


def _summary(frame: pd.DataFrame) -> dict[str, Any]:
    measures = dict(
        Measure.objects.filter(
            pk__in=frame["measure_id"].unique().tolist()
        ).values_list("id", "name")
    )
    orgs = dict(
        Organisation.objects.filter(
            pk__in=frame["organisation_id"].unique().tolist()
        ).values_list("id", "ods_code")
    )
    counts = frame.groupby("measure_id").size()
    return {
        "measures": [
            {"name": measures.get(int(k), str(k)), "rows": int(v)}
            for k, v in counts.items()
        ][:50],
        "measure_count": len(counts),
        "organisations": sorted(orgs.values()),
        "first_period": str(frame["period"].min().date()),
        "last_period": str(frame["period"].max().date()),
    }


def _match_existing(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` with the id and values of the observation each would replace.

    Existing rows are read with one raw query (periods as text, so the database
    driver does not build a date object per row): at 100,000 rows this is several
    times faster than a values_list."""
    if frame.empty:
        # The same columns as a match, so callers need no empty case of their own.
        empty = pd.Series(dtype=float)
        return frame.assign(
            existing_id=empty,
            old_value=empty,
            old_numerator=empty,
            old_denominator=empty,
        )
    measures = frame["measure_id"].unique().tolist()
    orgs = frame["organisation_id"].unique().tolist()
    table = connection.ops.quote_name(Observation._meta.db_table)
    sql = (
        f"SELECT id, measure_id, organisation_id, unit_id, CAST(period AS TEXT), breakdown, stratum, "
        f"value, numerator, denominator FROM {table} "
        f"WHERE measure_id IN ({', '.join(['%s'] * len(measures))}) "
        f"AND organisation_id IN ({', '.join(['%s'] * len(orgs))}) AND period >= %s AND period <= %s"
    )
    params = [
        *measures,
        *orgs,
        frame["period"].min().date(),
        frame["period"].max().date(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    old = pd.DataFrame.from_records(
        rows,
        columns=[
            "existing_id",
            "measure_id",
            "organisation_id",
            "unit_id",
            "period",
            "breakdown",
            "stratum",
            "old_value",
            "old_numerator",
            "old_denominator",
        ],
    )
    left = frame.assign(
        unit_key=frame["unit_id"].fillna(-1).astype(np.int64),
        period_key=pd.to_datetime(frame["period"]).dt.strftime("%Y-%m-%d"),
    )
    if old.empty:
        return left.assign(
            existing_id=np.nan,
            old_value=np.nan,
            old_numerator=np.nan,
            old_denominator=np.nan,
        )
    for col in ("unit_id", "old_value", "old_numerator", "old_denominator"):
        old[col] = pd.to_numeric(old[col], errors="coerce")  # None becomes NaN
    old["unit_key"] = old["unit_id"].fillna(-1).astype(np.int64)
    old["period_key"] = old["period"].str.slice(0, 10)
    keys = [
        "measure_id",
        "organisation_id",
        "unit_key",
        "period_key",
        "breakdown",
        "stratum",
    ]
    return left.merge(
        old.drop(columns=["unit_id", "period"]),
        on=keys,
        how="left",
        validate="one_to_one",
    )


@transaction.atomic
def apply_import(*, by: Any, batch: ImportBatch) -> ImportBatch:
    """Write a checked batch: every row or none. Rows for periods already loaded
    replace the earlier values, and the audit event keeps those earlier values."""
    require(by, Permission.IMPORT_DATA, batch.organisation)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.PREVIEWED or batch.pending is None:
        raise ValidationError("This import has already been applied or discarded.")
    frame = imports.from_bytes(batch.pending)
    added, updated, before = _write(frame, batch)
    batch.status = ImportBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.added, batch.updated, batch.pending = added, updated, None
    batch.save()
    series_loaded = frame[["measure_id", "organisation_id"]].drop_duplicates()
    notification_events.after_data_change(
        series_loaded.astype(int).itertuples(index=False, name=None)
    )
    record(
        by=by,
        action="import.applied",
        obj=batch,
        organisation=batch.organisation,
        summary=f"Loaded {batch.rows} rows from {batch.filename or batch.get_source_display()}: {added} new, {updated} replacing earlier values",
        before=before,
        after={
            "batch": batch.pk,
            "file_hash": batch.file_hash,
            "added": added,
            "updated": updated,
        },
        prepared=True,
    )
    return batch


@transaction.atomic
def discard_import(*, by: Any, batch: ImportBatch) -> ImportBatch:
    require(by, Permission.IMPORT_DATA, batch.organisation)
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ValidationError("Only an import waiting to be applied can be discarded.")
    batch.status = ImportBatch.Status.DISCARDED
    batch.pending = None
    batch.save()
    return batch


@transaction.atomic
def load_records(*, by: Any, organisation: Organisation, records: Any) -> ImportBatch:
    """The JSON API: check rows and, if all are right, apply them at once."""
    require(by, Permission.IMPORT_DATA, organisation)
    batch = ImportBatch(organisation=organisation, by=by, source=ImportBatch.Source.API)
    try:
        read = imports.records_table(
            records,
            max_rows=settings.QUALITAS_MAX_UPLOAD_ROWS,
            organisation=organisation.ods_code,
        )
    except imports.FileRefused as e:
        batch.status = ImportBatch.Status.REJECTED
        batch.error_count, batch.errors = (
            1,
            [{"row": None, "column": "", "message": str(e)}],
        )
        batch.save()
        return batch
    batch.file_hash = hashlib.sha256(
        pd.util.hash_pandas_object(read.table, index=False).to_numpy().tobytes()
    ).hexdigest()
    _check_into(batch, read, lookup_for(by, organisation))
    batch.save()
    if batch.status == ImportBatch.Status.PREVIEWED:
        batch = apply_import(by=by, batch=batch)
    return batch


COLUMNS = [
    "measure_id",
    "organisation_id",
    "unit_id",
    "period",
    "breakdown",
    "stratum",
    "value",
    "numerator",
    "denominator",
    "batch_id",
    "updated_at",
]


def _write(
    frame: pd.DataFrame, batch: ImportBatch
) -> tuple[int, int, dict[str, Any] | None]:
    """Delete the observations the rows replace, then insert every row.

    Bulk SQL rather than model instances: at 100,000 rows model instances take longer
    than the 10-second target on their own. Delete-then-insert needs no upsert on the
    partial unique indexes (which Django cannot target); the transaction makes it all
    or nothing. PostgreSQL gets COPY, other databases executemany."""
    lock_series(
        frame[["measure_id", "organisation_id"]]
        .drop_duplicates()
        .itertuples(index=False, name=None)
    )
    matched = _match_existing(frame)
    replaced = matched[matched["existing_id"].notna()]
    before = {"replaced": _columns(replaced)} if len(replaced) else None
    table = connection.ops.quote_name(Observation._meta.db_table)
    ids = replaced["existing_id"].astype(np.int64).tolist()
    periods = pd.to_datetime(frame["period"])
    n = len(frame)
    now = timezone.now()
    with connection.cursor() as cursor:
        postgres = connection.vendor == "postgresql"
        if postgres and ids:
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
        else:
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})",
                    part,
                )
        if postgres:
            dates = {p: p.date() for p in periods.unique()}
        else:
            dates = {
                p: connection.ops.adapt_datefield_value(p.date())
                for p in periods.unique()
            }
            now = connection.ops.adapt_datetimefield_value(now)
        columns = [
            frame["measure_id"].astype(np.int64).tolist(),
            frame["organisation_id"].astype(np.int64).tolist(),
            _nullable(frame["unit_id"].to_numpy(dtype=float), integer=True),
            periods.map(dates).tolist(),
            frame["breakdown"].astype(str).tolist(),
            frame["stratum"].astype(str).tolist(),
            frame["value"].astype(float).tolist(),
            _nullable(frame["numerator"].to_numpy(dtype=float)),
            _nullable(frame["denominator"].to_numpy(dtype=float)),
            [batch.pk] * n,
            [now] * n,
        ]
        if postgres:
            with cursor.cursor.copy(
                f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
        else:
            rows = list(zip(*columns, strict=True))
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
            for i in range(0, n, CHUNK * 4):
                cursor.executemany(sql, rows[i : i + CHUNK * 4])
    _record_replacements(replaced, batch)
    # Bulk SQL sends no model signals: move the versions on here (measures/versions.py).
    versions.bump(frame["measure_id"].unique().tolist())
    return n - len(replaced), len(replaced), before


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    return (x == y) | (np.isnan(x) & np.isnan(y))


def _record_replacements(replaced: pd.DataFrame, batch: ImportBatch) -> None:
    """A load that changes a stored value corrects it: the earlier value is kept as a
    Correction, so charts and reports (frozen ones too) say the value changed. Rows
    that send the value already stored change nothing and leave no record."""
    changed = replaced[
        ~(
            _same(replaced["old_value"], replaced["value"])
            & _same(replaced["old_numerator"], replaced["numerator"])
            & _same(replaced["old_denominator"], replaced["denominator"])
        )
    ]
    if changed.empty:
        return
    source = (
        f"the file {batch.filename}"
        if batch.filename
        else batch.get_source_display().lower()
    )
    reason = f"Replaced by a new value loaded from {source} (import {batch.pk})."
    now = timezone.now()
    dates = [dt.date.fromisoformat(k) for k in changed["period_key"]]
    if connection.vendor != "postgresql":
        dates = [connection.ops.adapt_datefield_value(d) for d in dates]
        now = connection.ops.adapt_datetimefield_value(now)
    n = len(changed)
    columns = {
        "measure_id": changed["measure_id"].astype(np.int64).tolist(),
        "organisation_id": changed["organisation_id"].astype(np.int64).tolist(),
        "unit_id": _nullable(changed["unit_id"].to_numpy(dtype=float), integer=True),
        "period": dates,
        "breakdown": changed["breakdown"].astype(str).tolist(),
        "stratum": changed["stratum"].astype(str).tolist(),
        "kind": [Correction.Kind.CORRECTED.value] * n,
        "old_value": changed["old_value"].astype(float).tolist(),
        "old_numerator": _nullable(changed["old_numerator"].to_numpy(dtype=float)),
        "old_denominator": _nullable(changed["old_denominator"].to_numpy(dtype=float)),
        "new_value": changed["value"].astype(float).tolist(),
        "new_numerator": _nullable(changed["numerator"].to_numpy(dtype=float)),
        "new_denominator": _nullable(changed["denominator"].to_numpy(dtype=float)),
        "reason": [reason] * n,
        "by_id": [batch.by_id] * n,
        "created_at": [now] * n,
    }
    table = connection.ops.quote_name(Correction._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = list(zip(*columns.values(), strict=True))
    with connection.cursor() as cursor:
        for i in range(0, n, CHUNK):
            cursor.executemany(sql, rows[i : i + CHUNK])


def _nullable(a: np.ndarray, integer: bool = False) -> list[Any]:
    missing = np.isnan(a)
    out = (
        np.where(missing, 0, a).astype(np.int64).astype(object)
        if integer
        else a.astype(object)
    )
    out[missing] = None
    return out.tolist()


def _columns(replaced: pd.DataFrame) -> dict[str, list[Any]]:
    """The replaced observations' keys and earlier values, column by column (compact,
    and built without a Python loop over rows)."""

    def plain(column: pd.Series) -> list[Any]:
        values = column.to_numpy(dtype=float)
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()

    return {
        "measure_id": replaced["measure_id"].astype(np.int64).tolist(),
        "organisation_id": replaced["organisation_id"].astype(np.int64).tolist(),
        "unit_id": plain(replaced["unit_id"]),
        "period": replaced["period_key"].tolist(),
        "breakdown": replaced["breakdown"].astype(str).tolist(),
        "stratum": replaced["stratum"].astype(str).tolist(),
        "value": plain(replaced["old_value"]),
        "numerator": plain(replaced["old_numerator"]),
        "denominator": plain(replaced["old_denominator"]),
    }
