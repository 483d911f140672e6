"""The project factories' first home, kept so tests written against it still import:
they live in tests/web/projects/factories.py."""

from tests.web.projects.factories import (  # noqa: F401 - re-exported
    ChangeIdeaFactory,
    CycleFactory,
    DriverFactory,
    InvolvementEntryFactory,
    PatientPartnerFactory,
    ProgressScoreFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    SpreadFactory,
    TeamMemberFactory,
)
