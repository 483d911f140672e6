"""PROMs hip and knee replacement: our funnel against NHS Digital's published outlier flags.

NHS Digital places each provider's case-mix adjusted average health gain on a funnel
around the England average, with limits at 95% and 99.8% from the England standard
deviation of health gain, and publishes a verdict per provider, year, procedure and
measure. Data: data/proms_hip_knee_provider_outliers_2016_2019.csv (data/README.md).
The differences are explained in docs/methods/funnel.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import funnel

DATA = (
    Path(__file__).parents[2]
    / "data"
    / "proms_hip_knee_provider_outliers_2016_2019.csv"
)
FUNNEL = ["year", "procedure", "measure"]

# Verdicts where our funnel and NHS Digital's differ (docs/methods/funnel.md): all three
# are totals of primary and revision operations, within 0.016 of the 95% limit.
KNOWN_DIFFERENCES = {
    ("2018-19", "Total Hip Replacement", "Oxford Hip Score", "NT218"),
    ("2018-19", "Total Hip Replacement", "EQ VAS", "NT348"),
    ("2018-19", "Total Hip Replacement", "Oxford Hip Score", "NVC09"),
}


def verdicts(units: pd.DataFrame) -> np.ndarray:
    """Our funnel's result in NHS Digital's words."""
    side = np.where(units["ratio"] > units["target"], "Positive", "Negative")
    level = np.where(units["outlier_998"], "99.8%", "95%")
    named = pd.Series(side).str.cat(pd.Series(level), sep=" outlier (").add(")")
    return np.where(units["outlier_95"], named, "Not an outlier")


@pytest.fixture(scope="module")
def compared() -> pd.DataFrame:
    data = pd.read_csv(DATA)
    data["total_gain"] = data["adjusted_health_gain"] * data["modelled_records"]
    parts = []
    for key, rows in data.groupby(FUNNEL, sort=True):
        # NHS Digital's method: limits from the England mean and standard deviation,
        # no overdispersion adjustment.
        result = funnel(
            rows,
            numerator="total_gain",
            denominator="modelled_records",
            group="org_code",
            data_type="MEAN",
            target=float(rows["england_adjusted_health_gain"].iloc[0]),
            sd=float(rows["england_sd"].iloc[0]),
            adjust="never",
        )
        published = rows.set_index("org_code")["published_outlier"]
        parts.append(
            pd.DataFrame(
                {
                    **dict(zip(FUNNEL, key, strict=True)),
                    "org_code": result.units["org_code"],
                    "z": result.units["z"],
                    "ours": verdicts(result.units),
                    "theirs": published.loc[result.units["org_code"]].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_proms_funnel_agrees_with_nhs_digital_on_8450_of_8453_verdicts(compared):
    assert len(compared) == 8453
    agree = compared["ours"] == compared["theirs"]
    assert int(agree.sum()) == 8450
    assert round(agree.mean() * 100, 2) == 99.96


def test_every_difference_is_a_known_total_at_the_95_percent_boundary(compared):
    differ = compared[compared["ours"] != compared["theirs"]]
    assert (
        set(differ[[*FUNNEL, "org_code"]].itertuples(index=False, name=None))
        == KNOWN_DIFFERENCES
    )
    assert (differ["ours"] == "Not an outlier").all()
    assert differ["theirs"].str.endswith("(95%)").all()
    assert ((differ["z"].abs() > 1.94) & (differ["z"].abs() < 1.959964)).all()


def test_single_procedures_agree_exactly(compared):
    single = compared[~compared["procedure"].str.startswith("Total")]
    assert len(single) == 4326
    assert (single["ours"] == single["theirs"]).all()
