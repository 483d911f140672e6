"""Build the demonstration: organisations, people, the measures register, real and
generated data (loaded through the same checks as a user's upload), notes and a
rebased chart."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pandas as pd
from django.conf import settings
from django.db import transaction

from qualitas.web.accounts.models import User
from qualitas.web.audit.services import record
from qualitas.web.demo import catalogue as cat
from qualitas.web.demo import real, synthetic
from qualitas.web.measures import library, services
from qualitas.web.measures.models import ImportBatch, Measure, Target
from qualitas.web.organisations.models import Membership, Organisation, Unit


def is_loaded() -> bool:
    return Organisation.objects.filter(ods_code=cat.SYSTEM[0]).exists()


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


@transaction.atomic
def build(say: Callable[[str], None] = print) -> None:
    """Load everything into an empty database."""
    system = Organisation.objects.create(
        ods_code=cat.SYSTEM[0], name=cat.SYSTEM[1], kind=Organisation.Kind.SYSTEM
    )
    for code, name in cat.TRUSTS + cat.MENTAL_HEALTH:
        Organisation.objects.create(
            ods_code=code, name=name, kind=Organisation.Kind.TRUST, parent=system
        )
    for code, name in cat.PRACTICES:
        Organisation.objects.create(
            ods_code=code, name=name, kind=Organisation.Kind.PRACTICE, parent=system
        )
    other = Organisation.objects.create(
        ods_code=cat.OTHER_SYSTEM[0],
        name=cat.OTHER_SYSTEM[1],
        kind=Organisation.Kind.SYSTEM,
    )
    Organisation.objects.create(
        ods_code=cat.OTHER_TRUST[0],
        name=cat.OTHER_TRUST[1],
        kind=Organisation.Kind.TRUST,
        parent=other,
    )
    orgs = {o.ods_code: o for o in Organisation.objects.all()}
    for code in cat.ACUTE:
        for ward in cat.WARDS:
            Unit.objects.create(organisation=orgs[code], name=ward, kind=Unit.Kind.WARD)
        for dept in cat.DEPARTMENTS:
            Unit.objects.create(
                organisation=orgs[code], name=dept, kind=Unit.Kind.DEPARTMENT
            )
    say(
        f"  {len(orgs)} organisations: {cat.SYSTEM[1]} with {len(cat.TRUSTS) + 1} trusts and {len(cat.PRACTICES)} practices, and one outside it"
    )

    users = ensure_accounts()
    # The register is the measure library's, as any organisation would adopt it,
    # owned by the system so that all its members share it.
    for m in library.measures():
        measure = Measure.objects.create(
            code=m.code,
            organisation=orgs[cat.SYSTEM[0]],
            **{
                **m.fields,
                "data_source": cat.REAL_SOURCES.get(m.code, cat.SYNTHETIC_SOURCE),
                "is_synthetic": m.code not in cat.REAL_SOURCES,
            },
        )
        for t in m.targets:
            Target.objects.create(
                measure=measure, starts=t.starts, value=t.value, note=t.note
            )
    for code, org, start, value, note in synthetic.ORG_TARGETS:
        Target.objects.create(
            measure=Measure.objects.get(code=code),
            organisation=orgs[org],
            starts=_month(start),
            value=value,
            note=note,
        )
    # The other system's own copy of the A&E measure, so the outsider has a report too.
    ae = Measure.objects.get(code="ae-4-hour")
    ae.pk, ae.code, ae.organisation, ae.committee = (
        None,
        "coch-ae-4-hour",
        other,
        "Quality Committee",
    )
    ae.save()
    Target.objects.create(
        measure=ae,
        starts=_month("2016-04"),
        value=95.0,
        note="NHS constitutional standard",
    )
    say(f"  {Measure.objects.count()} measures in the register")
    record(
        by=None,
        action="demo.loaded",
        summary="Demonstration organisations, people and measures created",
        organisation=system,
    )

    folder = settings.QUALITAS_DATA_DIR
    ours = [*cat.ACUTE, cat.MENTAL_HEALTH[0][0], cat.SYSTEM[0]]
    analyst, qi_lead, outsider = users["analyst"], users["qi-lead"], users["outsider"]
    loads = [
        (
            "ae_attendances.csv (A&E, NHS England via NHS-R Community)",
            real.ae(folder, ours),
        ),
        (
            "cancer_62day_trust_monthly.csv (Cancer Waiting Times)",
            real.cancer(folder, ours),
        ),
        (
            "trust_quarterly_panel_2018_2025.csv (KH03, A&E, cancelled operations, UEC sitrep)",
            real.panel(folder, ours),
        ),
        (
            "proms_hip_knee_provider_timeseries_2011_2019.csv (PROMs)",
            real.proms(folder, ours),
        ),
        (
            "nhs_talking_therapies_west_yorkshire.csv (NHS Talking Therapies)",
            real.talking_therapies(folder, ours),
        ),
        ("generated-demo-series.csv (synthetic, seeded)", synthetic.generate()),
    ]
    for name, frame in loads:
        batch = _upload(analyst, system, name, frame)
        say(f"  loaded {batch.rows:>6} rows from {name}")
    # Published statistics for every trust in England, loaded the way anyone would
    # (one call per measure), so each trust can compare itself with England.
    from qualitas.web.measures import published

    names = published.shipped_names(folder)
    for code in cat.PUBLISHED:
        name, frame = published.shipped(code, folder)
        batch = published.load_published(
            by=analyst,
            measure=Measure.objects.get(code=code),
            frame=frame,
            filename=name,
            names=names,
            record_sd=published.shipped_sd(code, folder),
        )
        say(f"  published {batch.rows:>6} rows of {code} for England from {name}")
    # The system's own measures are shared among its members under its agreement.
    Measure.objects.filter(organisation=system, sharing=Measure.Sharing.OWN).update(
        sharing=Measure.Sharing.SYSTEM
    )
    coch = real.ae(folder, [cat.OTHER_TRUST[0]])
    coch = coch[coch["measure"] == "ae-4-hour"].assign(measure="coch-ae-4-hour")
    _upload(
        outsider,
        orgs[cat.OTHER_TRUST[0]],
        "ae_attendances.csv (Countess of Chester)",
        coch,
    )

    for code, org, month, text in synthetic.NOTES:
        services.add_annotation(
            by=qi_lead,
            measure=Measure.objects.get(code=code),
            organisation=orgs[org],
            period=_month(month),
            text=text,
        )
    for code, org, month, reason in synthetic.REBASES:
        services.rebase(
            by=qi_lead,
            measure=Measure.objects.get(code=code),
            organisation=orgs[org],
            period=_month(month),
            reason=reason,
        )
    say(
        f"  {len(synthetic.NOTES)} notes and {len(synthetic.REBASES)} rebased chart added by the QI lead"
    )
    from qualitas.web.projects import demo as projects_demo

    projects_demo.build(users, say)

    # Board governance and value (issue 6): committees, meetings, assessments, claims.
    # After the projects, so meetings and claims can refer to them.
    from qualitas.web.demo import governance

    governance.build(users, say)


def _upload(
    user: User, organisation: Organisation, name: str, frame: pd.DataFrame
) -> ImportBatch:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    batch = services.check_file(
        by=user,
        organisation=organisation,
        filename=name,
        data=buffer.getvalue().encode(),
    )
    if batch.status != ImportBatch.Status.PREVIEWED:
        problems = "; ".join(
            f"row {e['row']}: {e['message']}" for e in batch.errors[:5]
        )
        raise RuntimeError(f"demo data {name} did not pass the checks: {problems}")
    return services.apply_import(by=user, batch=batch)


def ensure_accounts() -> dict[str, User]:
    """The demonstration accounts, with the password 'demo' (reset if changed)."""
    orgs = {o.ods_code: o for o in Organisation.objects.all()}
    users = {}
    for username, first, last, role, org in cat.ACCOUNTS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.first_name, user.last_name, user.is_demo, user.is_active = (
            first,
            last,
            True,
            True,
        )
        user.email = f"{username}@demo.invalid"
        user.set_password(cat.DEMO_PASSWORD)
        user.save()
        Membership.objects.get_or_create(user=user, organisation=orgs[org], role=role)
        users[username] = user
    return users
