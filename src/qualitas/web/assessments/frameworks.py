"""The self-assessment frameworks, in our own words.

*QI-governance maturity* follows the eight dimensions of Jones and colleagues' study
of how hospital boards govern for quality improvement (BMJ Quality & Safety, 2017),
in which each question is rated High, Medium or Low against a description of each.
The questions on the board's priority for QI and on using data follow the paper's
items; where the paper's full table could not be consulted, the questions are our own
reading of its dimensions, and are marked ``source="qualitas"`` so an organisation
can tell them apart (docs/methods/governance.md).

*Improvement capability* uses the eight dimensions of Furnival and colleagues' review
of improvement capability assessment (International Journal for Quality in Health
Care, 2017), rated on four levels of our own.

Nothing here is quoted from either paper.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    score: int


@dataclass(frozen=True)
class Question:
    key: str  # unique within the framework, e.g. "priority.agenda"
    text: str
    anchors: dict[str, str]  # level key -> what that level looks like
    source: str = ""


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    about: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    about: str
    citation: str
    levels: tuple[Level, ...]
    dimensions: tuple[Dimension, ...]
    per_unit: bool  # may be answered for a unit as well as an organisation

    @property
    def questions(self) -> list[Question]:
        return [q for d in self.dimensions for q in d.questions]

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise KeyError(key)

    @property
    def top(self) -> int:
        return max(level.score for level in self.levels)


JONES = "Jones et al 2017"
OURS = "qualitas"


def _q(
    key: str, text: str, high: str, medium: str, low: str, source: str = JONES
) -> Question:
    return Question(key, text, {"high": high, "medium": medium, "low": low}, source)


MATURITY = Framework(
    key="maturity",
    name="QI-governance maturity",
    about=(
        "How far the board governs for quality improvement, not only for assurance. "
        "Boards further along put improvement first on their agenda, use data to "
        "improve as well as to check, involve staff and patients, and keep a steady, "
        "systematic approach. Answer as a board, with evidence for each answer."
    ),
    citation=(
        "Jones L, Pomeroy L, Robert G, Burnett S, Anderson JE, Fulop NJ. How do "
        "hospital boards govern for quality improvement? A mixed methods study of 15 "
        "organisations in England. BMJ Qual Saf 2017;26:978-986."
    ),
    levels=(
        Level("low", "Low", 1),
        Level("medium", "Medium", 2),
        Level("high", "High", 3),
    ),
    per_unit=False,
    dimensions=(
        Dimension(
            "priority",
            "Improvement as a board priority",
            "Whether improvement gets the board's best time and attention.",
            (
                _q(
                    "priority.agenda",
                    "Where does improvement come on the board's agenda?",
                    "Early, or woven through the meeting, or a standing item an executive director leads.",
                    "Around the middle of the meeting.",
                    "Near the end, when time is short.",
                ),
                _q(
                    "priority.time",
                    "How much of the board meeting is spent on improvement?",
                    "Most of it.",
                    "A fair share.",
                    "Very little.",
                ),
                _q(
                    "priority.committees",
                    "Where is the detail of improvement discussed?",
                    "Mostly in a committee of the board, which brings to the board only what needs escalating.",
                    "Partly in committee, but the committee's discussion is repeated at the board in full.",
                    "At the board, which goes over everything its committees discussed.",
                ),
                _q(
                    "priority.training",
                    "Are board members trained in quality improvement?",
                    "Yes: a planned programme that members complete.",
                    "Training is offered and known about, but not everyone takes it up.",
                    "Little or no training.",
                ),
                _q(
                    "priority.balance_assurance",
                    "How does the time on improvement compare with the time on assurance?",
                    "Balanced: assurance findings lead into improvement work, which runs through the board's business.",
                    "Improvement is discussed, but assurance dominates and its findings do not reliably lead to improvement.",
                    "Almost all assurance.",
                ),
            ),
        ),
        Dimension(
            "data",
            "Using data for improvement",
            "Whether the board sees and uses data to improve, not just to check.",
            (
                _q(
                    "data.improvement_data",
                    "Does the board see data from its improvement work?",
                    "Yes: improvement data are presented to the board.",
                    "Some, or the board talks about improvement when it reviews quality data.",
                    "No improvement data, and no talk of improvement when quality data are reviewed.",
                ),
                _q(
                    "data.proactive",
                    "Does the board use data to look ahead, or only to react?",
                    "Data are reviewed regularly and systematically to find problems and opportunities early.",
                    "Sometimes ahead, often after an incident or an outside prompt.",
                    "Mostly after something has gone wrong.",
                ),
                _q(
                    "data.spc",
                    "Are measures shown over time, in a way that tells signal from noise?",
                    "Most measures as SPC charts with variation and assurance icons.",
                    "Some measures over time; others as single figures or red-amber-green ratings.",
                    "Mostly red-amber-green ratings and this month against last.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "performance",
            "Familiarity with current performance",
            "Whether board members know where the organisation stands on quality.",
            (
                _q(
                    "performance.knows",
                    "Can board members say how the organisation performs on its main quality measures?",
                    "Yes: members describe current performance and its direction without the papers.",
                    "Members know the headline figures but not how they are changing.",
                    "Members rely on the papers in front of them.",
                    OURS,
                ),
                _q(
                    "performance.reviews",
                    "How often do the board and its quality committee review quality performance?",
                    "At every meeting: monthly or more often.",
                    "At most meetings, or every two to three months.",
                    "Now and then.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "staff",
            "Staff involvement",
            "Whether staff at every level take part in improvement.",
            (
                _q(
                    "staff.frontline",
                    "Are frontline staff involved in improvement work?",
                    "Widely: many teams run their own improvement projects, with support.",
                    "In pockets, usually where a champion leads.",
                    "Improvement is done to staff rather than by them.",
                    OURS,
                ),
                _q(
                    "staff.heard",
                    "Does the board hear from staff about their improvement work?",
                    "Regularly: teams present their work to the board or its committees.",
                    "Now and then.",
                    "Rarely or never.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "patients",
            "Patient, carer and public involvement",
            "Whether patients, carers and the public shape improvement.",
            (
                _q(
                    "patients.projects",
                    "Are patients, carers and the public involved in improvement work?",
                    "As partners in most projects, from the start, with agreed roles.",
                    "In some projects, or consulted once plans are made.",
                    "Hardly at all.",
                    OURS,
                ),
                _q(
                    "patients.board",
                    "Does the board hear patients' experience and act on it?",
                    "Stories and experience data lead to actions the board follows up.",
                    "The board hears stories, but follow-up is patchy.",
                    "Rarely.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "approach",
            "A clear, systematic approach",
            "Well-specified priorities, few enough to manage, pursued with a consistent method.",
            (
                _q(
                    "approach.priorities",
                    "Are the improvement priorities clear, and few enough to manage?",
                    "A small number of well-specified priorities that people know.",
                    "Priorities exist but are many or loosely defined.",
                    "No clear priorities.",
                    OURS,
                ),
                _q(
                    "approach.method",
                    "Does the organisation use one improvement method consistently?",
                    "One method throughout, with training and coaching.",
                    "Several methods, or one used in some areas only.",
                    "No consistent method.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "balance",
            "Balance of effectiveness, experience and safety",
            "Whether the board attends to all three parts of quality.",
            (
                _q(
                    "balance.domains",
                    "Does the board give balanced attention to clinical effectiveness, patient experience and safety?",
                    "All three get time and data.",
                    "One dominates, but the others are reviewed.",
                    "One takes almost all the attention.",
                    OURS,
                ),
            ),
        ),
        Dimension(
            "dynamics",
            "Board dynamics",
            "How board members question the data and each other.",
            (
                _q(
                    "dynamics.challenge",
                    "How do board members question the data and each other?",
                    "Open, constructive challenge from executives and non-executives alike, aimed at learning.",
                    "Some challenge, led by a few members or staying at the surface.",
                    "Little challenge: papers are noted.",
                    OURS,
                ),
                _q(
                    "dynamics.clinical_leaders",
                    "Do the board's clinical leaders lead its discussion of improvement?",
                    "Yes: the medical and nursing directors champion improvement at the board.",
                    "Sometimes.",
                    "Rarely.",
                    OURS,
                ),
            ),
        ),
    ),
)

FURNIVAL = "Furnival et al 2017"
CAPABILITY_LEVELS = (
    Level("absent", "Not yet", 1),
    Level("emerging", "Emerging", 2),
    Level("developing", "Developing", 3),
    Level("embedded", "Embedded", 4),
)


def _c(
    key: str,
    name: str,
    about: str,
    absent: str,
    emerging: str,
    developing: str,
    embedded: str,
) -> Dimension:
    return Dimension(
        key,
        name,
        about,
        (
            Question(
                f"{key}.level",
                f"How far is this true here: {about[0].lower()}{about[1:]}",
                {
                    "absent": absent,
                    "emerging": emerging,
                    "developing": developing,
                    "embedded": embedded,
                },
                FURNIVAL,
            ),
        ),
    )


CAPABILITY = Framework(
    key="capability",
    name="Improvement capability",
    about=(
        "How able a team or organisation is to improve, on eight dimensions. Rate each "
        "with evidence; qualitas proposes a rating where its own records (training, "
        "projects, tests of change, data) say something."
    ),
    citation=(
        "Furnival J, Boaden R, Walshe K. Conceptualizing and assessing improvement "
        "capability: a review. Int J Qual Health Care 2017;29(5):604-611."
    ),
    levels=CAPABILITY_LEVELS,
    per_unit=True,
    dimensions=(
        _c(
            "culture",
            "Organisational culture",
            "Improvement is part of how people work: they raise problems and try changes without fear.",
            "Problems are hidden or blamed on people.",
            "Some teams talk openly about problems and try changes.",
            "Most teams do, with leaders' encouragement.",
            "Everywhere, and it lasts when people move on.",
        ),
        _c(
            "leadership",
            "Leadership commitment",
            "Leaders give improvement priority, time and money, and take part themselves.",
            "Improvement is left to enthusiasts.",
            "Leaders speak for improvement but give little time.",
            "Leaders sponsor projects and review them.",
            "Leaders at every level lead improvement and are trained in it.",
        ),
        _c(
            "staff",
            "Employee commitment",
            "Staff at every level have improvement skills and take part in improvement work.",
            "Few staff are trained or involved.",
            "Some staff are trained; a few teams take part.",
            "Many staff are trained and many teams take part.",
            "Most staff are trained to their role and improvement is part of their job.",
        ),
        _c(
            "users",
            "Service-user focus",
            "Patients and carers shape improvement, and their needs set its aims.",
            "Patients are not involved.",
            "Patients are asked for views now and then.",
            "Patients are partners in many projects.",
            "Patients are partners from the start in most work, and it shows in the aims.",
        ),
        _c(
            "partners",
            "Stakeholder and supplier focus",
            "The organisation improves with its partners: other providers, commissioners, suppliers.",
            "Improvement stops at the organisation's edge.",
            "A few joint projects with partners.",
            "Regular joint work across the system.",
            "Improvement is planned and spread across the system as a matter of course.",
        ),
        _c(
            "process",
            "Process improvement and learning",
            "Teams use a method to test changes, learn from them and spread what works.",
            "Changes are made without testing.",
            "Some teams run tests of change.",
            "Many teams test changes and record what they learn.",
            "Testing, learning and spreading are routine everywhere.",
        ),
        _c(
            "governance",
            "Strategy and governance",
            "Improvement priorities follow the strategy, and the board oversees them with data.",
            "No link between strategy and improvement work.",
            "Some priorities are linked to the strategy.",
            "Priorities follow the strategy and the board reviews progress.",
            "The board governs for improvement with data, and checks its own maturity.",
        ),
        _c(
            "data",
            "Data and performance",
            "Teams have timely data over time, analysed to show signal and noise, and use them to improve.",
            "Data are late, aggregated or only used to check.",
            "Some measures are charted over time.",
            "Most measures are SPC charts used in team meetings.",
            "Teams use SPC to test changes and the board sees the same charts.",
        ),
    ),
)

FRAMEWORKS = {f.key: f for f in (MATURITY, CAPABILITY)}
