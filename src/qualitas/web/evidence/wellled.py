"""The CQC well-led framework, as the evidence map uses it.

Two versions are in use. NHS trusts were assessed from 2017 against eight key lines
of enquiry (KLOEs, W1 to W8) shared by the CQC and NHS Improvement; since 2024 the
CQC's single assessment framework has eight well-led quality statements. Records can
be tagged to either or both. The short descriptions are ours.
"""

from __future__ import annotations

KLOES: dict[str, str] = {
    "W1": "Leadership capacity and capability",
    "W2": "Vision and a credible strategy",
    "W3": "A culture of high-quality, sustainable care",
    "W4": "Clear responsibilities, roles and accountability for good governance",
    "W5": "Clear, effective processes for managing risks, issues and performance",
    "W6": "Appropriate, accurate information, challenged and acted on",
    "W7": "People who use services, the public, staff and partners engaged and involved",
    "W8": "Robust systems for learning, continuous improvement and innovation",
}

STATEMENTS: dict[str, str] = {
    "shared_direction": "Shared direction and culture",
    "capable_leaders": "Capable, compassionate and inclusive leaders",
    "speak_up": "Freedom to speak up",
    "workforce_edi": "Workforce equality, diversity and inclusion",
    "governance": "Governance, management and sustainability",
    "partnerships": "Partnerships and communities",
    "learning": "Learning, improvement and innovation",
    "environment": "Environmental sustainability",
}

KLOE_CHOICES = [(k, f"{k} {v}") for k, v in KLOES.items()]
STATEMENT_CHOICES = list(STATEMENTS.items())
