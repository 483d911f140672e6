"""Fixtures shared by every kind of test.

``engine`` runs a test once per engine (local, then Spark in local mode), so the spec
and parity tables check every engine the same way. A test that needs a feature some
engine lacks says so with ``@pytest.mark.needs("feature")``; the engine's gap, declared
in qualitas.engines.capabilities, becomes the skip reason.

Spark tests need pyspark and Java 17. Without them they are skipped, except when the
environment variable CI is "true": then they fail, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

from qualitas.engines import capabilities

# Property tests check what is computed, not how fast: speed is measured by `make bench`.
# Hypothesis' per-example deadline (200 ms) fails tests at random on a busy two-core
# machine, so it is off for every property test.
settings.register_profile("qualitas", deadline=None)
settings.load_profile("qualitas")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(feature): the test needs an engine feature (see engines/capabilities.py)",
    )


def spark_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}. CI=true, so the Spark tests must run.", pytrace=False)
    pytest.skip(
        f"{reason}; to run the Spark tests: pip install -e '.[spark]' and install Java 17"
    )


@pytest.fixture(scope="session")
def spark_session():
    """One Spark session in local mode for the whole run."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        spark_unavailable("pyspark is not installed")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        spark_unavailable("Java is not installed (Spark needs Java 17)")
    from qualitas.engines.spark import local_session

    session = local_session("local[2]", shuffle_partitions=2, app_name="qualitas-tests")
    yield session
    session.stop()


@pytest.fixture(params=["local", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest):
    """Each engine in turn; tests call ``engine.compute(frame, request)``."""
    for marker in request.node.iter_markers("needs"):
        for feature in marker.args:
            reason = capabilities.gap(request.param, feature)
            if reason is not None:
                pytest.skip(f"{request.param} engine: {reason}")
    if request.param == "local":
        from qualitas.engines.local import LocalEngine

        return LocalEngine()
    session = request.getfixturevalue("spark_session")  # skips without Spark
    from qualitas.engines.spark import SparkEngine

    return SparkEngine(session, partitions=2)
