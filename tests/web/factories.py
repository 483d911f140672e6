"""factory_boy factories for the web tests: one per model, sensible defaults."""

from __future__ import annotations

import datetime as dt

import factory

from qualitas.web.accounts.models import User
from qualitas.web.measures.models import (
    Annotation,
    Measure,
    Observation,
    Rebase,
    Target,
)
from qualitas.web.organisations.models import Membership, Organisation, Unit


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Test Trust {n}")
    ods_code = factory.Sequence(lambda n: f"T{n:03d}")
    kind = Organisation.Kind.TRUST


class SystemFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Test ICB {n}")
    ods_code = factory.Sequence(lambda n: f"Q{n:02d}")
    kind = Organisation.Kind.SYSTEM


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "board_member"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    code = factory.Sequence(lambda n: f"measure-{n}")
    name = factory.Sequence(lambda n: f"Measure {n}")
    operational_definition = "Counted on the last day of each month."
    domain = "safe"
    measure_type = Measure.Type.OUTCOME
    unit = "per 1,000 bed days"
    multiplier = 1000.0
    direction = Measure.Direction.DECREASE
    aggregation = Measure.Aggregation.RATIO
    organisation = factory.SubFactory(OrganisationFactory)
    owner = "Chief Nurse"
    committee = "Quality and Safety Committee"
    data_source = "Incident reporting system"
    numerator = "Falls"
    denominator = "Occupied bed days"


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    measure = factory.SubFactory(MeasureFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    period = dt.date(2024, 1, 1)
    value = 5.0


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    measure = factory.SubFactory(MeasureFactory)
    starts = dt.date(2020, 1, 1)
    value = 5.0


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    measure = factory.SubFactory(MeasureFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    period = dt.date(2024, 1, 1)
    text = "New falls bundle started"


class RebaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rebase

    measure = factory.SubFactory(MeasureFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    period = dt.date(2024, 1, 1)
    reason = "Falls bundle adopted on every ward"
