"""A built wheel, installed into a fresh virtual environment, gives a working
`qualitas` command, web application and demonstration: nothing it needs lives only in
the repository (templates, static files, migrations, the demonstration's data)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would point Python or
    qualitas at the repository."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DATABASE_", "SECRET_KEY", "DJANGO_"))
        and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return {**clean, **extra}


def _run(args: list[str], *, cwd: Path, timeout: float = 600, **env: str):
    done = subprocess.run(
        args, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{args}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this tree, installed with the web extra (at the locked
    versions) into a new virtual environment; returns its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        cwd=tmp,
    )
    (wheel,) = (tmp / "dist").glob("qualitas-*.whl")
    _run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp)
    bin_dir = tmp / "venv" / "bin"
    _run(
        [
            str(bin_dir / "pip"),
            "install",
            "-q",
            "-c",
            str(ROOT / "requirements.lock"),
            f"{wheel}[web]",
        ],
        cwd=tmp,
        timeout=1200,
    )
    return bin_dir


def test_the_wheel_has_the_command_and_its_own_data(installed, tmp_path):
    help_text = _run([str(installed / "qualitas"), "--help"], cwd=tmp_path).stdout
    for command in ("spc", "funnel", "batch", "demo"):
        assert command in help_text
    where = _run(
        [
            str(installed / "python"),
            "-c",
            "import qualitas; print(qualitas.__file__); print(qualitas.DATA_DIR);"
            " print(sorted(p.name for p in qualitas.DATA_DIR.glob('*.csv')))",
        ],
        cwd=tmp_path,
    ).stdout.splitlines()
    assert "site-packages" in where[0]
    assert str(ROOT) not in where[0]
    assert "site-packages" in where[1]
    assert "ae_attendances.csv" in where[2]


def test_the_installed_web_demo_loads_and_passes_the_deploy_check(installed, tmp_path):
    python = str(installed / "python")
    demo = _run(
        [python, "-m", "qualitas.web", "demo", "--no-serve"],
        cwd=tmp_path,
        QUALITAS_ENV="demo",
    ).stdout
    assert "qualitas demonstration: http://127.0.0.1:8000/" in demo
    assert "board" in demo
    assert (tmp_path / "qualitas.sqlite3").exists()

    production = {
        "QUALITAS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "qualitas.example.nhs.uk",
        "STATIC_ROOT": str(tmp_path / "static"),
        "BEHIND_HTTPS_PROXY": "true",
    }
    _run(
        [python, "-m", "qualitas.web", "collectstatic", "--noinput", "-v0"],
        cwd=tmp_path,
        **production,
    )
    assert (tmp_path / "static" / "qualitas" / "css" / "qualitas.css").exists()
    check = _run(
        [python, "-m", "qualitas.web", "check", "--deploy"], cwd=tmp_path, **production
    )
    assert "System check identified" in check.stdout + check.stderr
    for command in ("serve", "worker"):
        usage = _run(
            [python, "-m", "qualitas.web", command, "--help"],
            cwd=tmp_path,
            **production,
        )
        assert "usage:" in usage.stdout
