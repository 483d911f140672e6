"""Start the test OpenID Connect provider (tests/sso/provider, the npm package
oidc-provider) on 127.0.0.1 and point qualitas's single sign-on settings at it.

`.ci/run` installs the provider's locked packages (npm ci). With CI=true a missing
Node.js or provider fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

PROVIDER_DIR = Path(__file__).parent / "provider"
PASSWORD = "correct-horse-battery"
# The impostor's provider account has the same address, so its own password.
PASSWORDS = {"impostor": "another-horse-battery"}
CLIENT_ID = "qualitas-tests"
CLIENT_SECRET = "a-client-secret-only-for-these-tests"

# The people the provider knows: their claims are what it vouches for.
ACCOUNTS = {
    "nurse": {
        "email": "nurse@trust-a.nhs.test",
        "email_verified": True,
        "name": "Nadia Nurse",
        "given_name": "Nadia",
        "family_name": "Nurse",
    },
    "newcomer": {
        "email": "newcomer@trust-a.nhs.test",
        "email_verified": True,
        "name": "Nia Newcomer",
        "given_name": "Nia",
        "family_name": "Newcomer",
    },
    # Someone whose provider account claims an address it has not verified: the
    # same address as the nurse's qualitas account.
    "impostor": {
        "email": "nurse@trust-a.nhs.test",
        "email_verified": False,
        "name": "Not The Nurse",
    },
}


@dataclass
class Provider:
    issuer: str
    discovery: dict


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"single sign-on tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def start(redirect_uri: str, tmp_path: Path):
    """Run the provider; yields a Provider and stops it afterwards."""
    node = shutil.which("node")
    if node is None:
        _unavailable("Node.js is not installed (apt-get install nodejs npm)")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        _unavailable(
            f"the test provider is not installed (cd {PROVIDER_DIR} && npm ci)"
        )
    config = tmp_path / "oidc-provider.json"
    config.write_text(
        json.dumps(
            {
                "port": 0,
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [redirect_uri],
                },
                "accounts": {
                    key: {"password": PASSWORDS.get(key, PASSWORD), "claims": claims}
                    for key, claims in ACCOUNTS.items()
                },
            }
        )
    )
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout],  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    issuer, output = None, []
    try:
        while issuer is None:
            try:
                line = lines.get(timeout=30)
            except queue.Empty:
                break
            output.append(line)
            if line.startswith("ready "):
                issuer = line.split()[1]
        if issuer is None:
            pytest.fail(f"the test OpenID Connect provider did not start: {output}")
        with urllib.request.urlopen(
            f"{issuer}/.well-known/openid-configuration", timeout=10
        ) as response:
            discovery = json.load(response)
        yield Provider(issuer, discovery)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]


def configure(settings, provider: Provider) -> None:
    """qualitas's settings as docs/sso.md tells a deployment to set them."""
    d = provider.discovery
    settings.SSO_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = d["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = d["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = d["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = d["jwks_uri"]
    settings.QUALITAS_SSO_NAME = "Trust account"
