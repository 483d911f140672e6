"""The demonstration's organisations, people and measures register.

The system is NHS West Yorkshire ICB with its acute trusts, a mental health trust and
three general practices (the practices are invented for the demonstration). The outsider
belongs to a trust in another system. Measures cover the six quality domains; where the
values come from real public data the data source says so, otherwise the measure is
marked synthetic. The measures are the measure library's (qualitas.web.measures.library).
"""

from __future__ import annotations

SYSTEM = ("QWO", "NHS West Yorkshire Integrated Care Board")
# Measures whose national published statistics (every trust in England) the demo
# loads, so trusts can compare with England as well as with their system.
PUBLISHED = (
    "ae-4-hour",
    "cancer-62-day",
    "bed-occupancy",
    "hip-health-gain",
    "knee-health-gain",
)
TRUSTS = [
    ("RR8", "Leeds Teaching Hospitals NHS Trust"),
    ("RAE", "Bradford Teaching Hospitals NHS Foundation Trust"),
    ("RWY", "Calderdale and Huddersfield NHS Foundation Trust"),
    ("RCF", "Airedale NHS Foundation Trust"),
    ("RXF", "Mid Yorkshire Teaching NHS Trust"),
]
ACUTE = [code for code, _ in TRUSTS]
MENTAL_HEALTH = [("TAD", "Bradford District Care NHS Foundation Trust")]
# Invented practices: the codes start with Y99 so they cannot be mistaken for real ones.
PRACTICES = [
    ("Y99001", "Riverside Medical Practice (demonstration)"),
    ("Y99002", "Moorside Health Centre (demonstration)"),
    ("Y99003", "Canal Street Surgery (demonstration)"),
]
OTHER_SYSTEM = ("QYG", "NHS Cheshire and Merseyside Integrated Care Board")
OTHER_TRUST = ("RJR", "Countess of Chester Hospital NHS Foundation Trust")

WARDS = ["Ward 5 (elderly care)", "Ward 9 (respiratory)", "Ward 21 (orthopaedics)"]
DEPARTMENTS = ["Emergency department"]

# username, first name, last name, role, organisation (ODS code)
ACCOUNTS = [
    ("board", "Margaret", "Holroyd", "board_member", "RAE"),
    ("executive", "David", "Okafor", "executive", "RAE"),
    ("qi-lead", "Priya", "Shah", "qi_lead", "RAE"),
    ("team", "Tom", "Brierley", "team_member", "RAE"),
    ("analyst", "Aisha", "Rahman", "analyst", "QWO"),
    ("patient-partner", "Jean", "Pickles", "patient_partner", "RAE"),
    ("finance", "Gareth", "Lloyd", "finance", "RAE"),
    ("admin", "Sam", "Ellis", "administrator", "QWO"),
    ("outsider", "Olivia", "Parry", "analyst", "RJR"),
]
DEMO_PASSWORD = "demo"

# The measures themselves come from the measure library that every organisation can
# adopt (qualitas/web/measures/library/nhs_measures.json); the demonstration adds only
# where its figures come from, and which are generated.
SYNTHETIC_SOURCE = "Generated for the demonstration (seeded random numbers with realistic signals); not real data."
AE_SOURCE = "NHS England, A&E Attendances and Emergency Admissions (via NHS-R Community NHSRdatasets 0.3.3, CC0; statistics OGL v3). data/ae_attendances.csv"
CWT_SOURCE = "NHS England, Cancer Waiting Times monthly provider data (OGL v3), compiled in YusufIsmailayo/nhs-cancer-waiting-times-pipeline. data/cancer_62day_trust_monthly.csv"
PANEL_SOURCE = "NHS England KH03, A&E, cancelled elective operations and UEC sitrep publications (OGL v3), compiled in LB1983/nhs-bed-occupancy-analysis. data/trust_quarterly_panel_2018_2025.csv"
PROMS_SOURCE = "NHS Digital, Patient Reported Outcome Measures in England, time series 2018-19 (OGL v3). data/proms_hip_knee_provider_timeseries_2011_2019.csv"
TT_SOURCE = "NHS England, NHS Talking Therapies Annual Reports (OGL v3), via the nhstt R package. data/nhs_talking_therapies_west_yorkshire.csv"

# Library code -> the public data the demonstration loads for it; every other library
# measure gets generated figures.
REAL_SOURCES = {
    "ae-4-hour": AE_SOURCE,
    "ae-attendances": AE_SOURCE,
    "emergency-admissions": AE_SOURCE,
    "cancer-62-day": CWT_SOURCE,
    "bed-occupancy": PANEL_SOURCE,
    "maternity-bed-occupancy": PANEL_SOURCE,
    "twelve-hour-waits": PANEL_SOURCE,
    "not-meeting-criteria-to-reside": PANEL_SOURCE,
    "cancelled-ops-28-day": PANEL_SOURCE,
    "hip-health-gain": PROMS_SOURCE,
    "knee-health-gain": PROMS_SOURCE,
    "talking-therapies-recovery": TT_SOURCE,
}

PRACTICE_MEASURES = {"diabetes-care-processes", "diabetes-hba1c", "ld-health-checks"}
