"""factory_boy factories for improvement projects (kept apart from the platform's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from qualitas.web.projects.models import (
    ChangeIdea,
    DriverNode,
    InvolvementEntry,
    PatientPartner,
    PDSACycle,
    ProgressScore,
    Project,
    ProjectMeasure,
    Spread,
    TeamMember,
)
from tests.web.factories import MeasureFactory, OrganisationFactory, UserFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Project {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    problem = "Too many patients fall at night."
    aim_what = "Reduce inpatient falls on Ward 5"
    priority = "Safe care"
    status = Project.Status.TESTING
    started_on = dt.date(2024, 1, 1)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamMember.Role.MEMBER


class PatientPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientPartner

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")
    agreed_role = "Reviews patient information and joins monthly meetings."
    access = PatientPartner.Access.SUMMARY


class InvolvementEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvolvementEntry

    project = factory.SubFactory(ProjectFactory)
    on = dt.date(2024, 3, 1)
    you_said = "The call bell is out of reach at night."
    we_did = "Bed-side checklist includes the call bell."


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DriverNode

    project = factory.SubFactory(ProjectFactory)
    kind = DriverNode.Kind.PRIMARY
    text = factory.Sequence(lambda n: f"Driver {n}")


class ChangeIdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeIdea

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Change idea {n}")
    description = "Try it on one bay first."


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PDSACycle

    change_idea = factory.SubFactory(ChangeIdeaFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Test on one bay for a week"
    question = "Will night staff use the checklist?"
    prediction = "At least 8 of 10 patients will have the checklist done."
    planned_start = dt.date(2024, 2, 1)
    planned_end = dt.date(2024, 2, 8)


class ProjectMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectMeasure

    project = factory.SubFactory(ProjectFactory)
    measure = factory.SubFactory(MeasureFactory)
    role = ProjectMeasure.Role.OUTCOME
    organisation = factory.SelfAttribute("project.organisation")


class ProgressScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressScore

    project = factory.SubFactory(ProjectFactory)
    score = Decimal("2.0")
    assessed_on = dt.date(2024, 3, 1)


class SpreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spread

    change_idea = factory.SubFactory(ChangeIdeaFactory)
    to_organisation = factory.SubFactory(OrganisationFactory)
