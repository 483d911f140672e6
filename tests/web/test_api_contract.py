"""The API keeps the contract its OpenAPI document states, checked by Schemathesis.

Schemathesis reads /api/v1/openapi.json from a live test server and sends requests
built from it, valid and invalid, in all its phases (the document's examples, a
coverage pass over each parameter's edges, random fuzzing, and stateful sequences
that follow the document's links: load observations, then read that measure's
chart). Every check is on, so the build fails on a server error, an answer that
breaks its schema, a status or content type the document does not list, a 405
without ``Allow``, or data the document calls invalid being accepted.

The run is seeded and bounded so it is the same on every machine and fast enough
for CI. For the longer run, raise the number of examples per operation:

    QUALITAS_CONTRACT_EXAMPLES=50 .venv/bin/python -m pytest tests/web/test_api_contract.py

(the setting in ``api_contract.toml`` beside this file explains the one check that
is tuned for this API).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from qualitas.web.accounts.services import create_api_token
from qualitas.web.measures.models import Observation
from tests.web import factories as f

EXAMPLES = int(os.environ.get("QUALITAS_CONTRACT_EXAMPLES", "6"))
SEED = int(os.environ.get("QUALITAS_CONTRACT_SEED", "18"))
CONFIG = Path(__file__).with_name("api_contract.toml")


@pytest.fixture
def contract_world(transactional_db):
    """The organisations and measures the document's examples name (as in the demo):
    a system with two trusts and a practice, and a ratio, a sum and a mean measure
    with two years of monthly data at each trust. Another system's measure is there
    to be refused."""
    system = f.SystemFactory(ods_code="QWO", name="West Yorkshire ICB")
    trusts = [
        f.OrganisationFactory(ods_code=code, parent=system) for code in ("RAE", "RCF")
    ]
    f.OrganisationFactory(ods_code="Y99001", kind="practice", parent=system)
    other = f.SystemFactory(ods_code="QYG")
    f.MeasureFactory(code="other-measure", organisation=other)
    periods = [dt.date(2023 + i // 12, i % 12 + 1, 1) for i in range(24)]
    rows = []
    for code, how in (
        ("ae-4-hour", "ratio"),
        ("falls-per-1000-bed-days", "ratio"),
        ("ae-attendances", "sum"),
        ("hip-health-gain", "mean"),
    ):
        m = f.MeasureFactory(
            code=code,
            organisation=system,
            aggregation=how,
            multiplier=100.0 if how == "ratio" else 1.0,
        )
        f.TargetFactory(measure=m, value=50.0)
        for k, trust in enumerate(trusts):
            for i, p in enumerate(periods):
                num, den = float(400 + 7 * ((i * 5 + k) % 11)), 1000.0
                figures = (
                    {"numerator": num, "denominator": den, "value": num / den * 100}
                    if how == "ratio"
                    else {"value": num}
                )
                rows.append(
                    Observation(measure=m, organisation=trust, period=p, **figures)
                )
    Observation.objects.bulk_create(rows)
    analyst = f.MembershipFactory(organisation=system, role="analyst").user
    return create_api_token(by=analyst, name="contract tests")[1]


@pytest.mark.slow
def test_the_api_keeps_its_openapi_contract(live_server, contract_world, tmp_path):
    # The document as the server publishes it, read here with a generous timeout:
    # the server's first answer can be slow on a busy machine, and Schemathesis
    # gives a document only ten seconds.
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(
        f"{live_server.url}/api/v1/openapi.json", timeout=120
    ) as response:
        document.write_bytes(response.read())
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(document),
        "--url",
        f"{live_server.url}/api/v1",
        "--request-timeout",
        "60",
        "--header",
        f"Authorization: Bearer {contract_world}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    output = run.stdout + run.stderr
    print(output[-6000:])  # the summary, shown with -s or on failure
    assert run.returncode == 0, output[-30000:]
