"""A small HTTP client for tests against pytest-django's ``live_server``.

It speaks real HTTP to the threaded server, so each request gets its own server thread
and database connection, as in production. Redirects are not followed: the tests look
at every answer the server gives.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.test import Client


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    request = urllib.request.Request(
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with _opener.open(request, timeout=timeout) as r:
            return Answer(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, dict(e.headers), e.read())


class Browser:
    """A signed-in person: a session cookie and the CSRF token of the last form."""

    def __init__(self, base_url: str, user: Any) -> None:
        client = Client()
        client.force_login(user)
        self.base = base_url
        self.cookies = {
            settings.SESSION_COOKIE_NAME: client.cookies[
                settings.SESSION_COOKIE_NAME
            ].value
        }
        self.csrf = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, **(extra or {})}

    def _keep_cookies(self, answer: Answer) -> None:
        for name in (settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME):
            m = re.search(rf"{name}=([^;]+)", answer.headers.get("Set-Cookie", ""))
            if m:
                self.cookies[name] = m.group(1)

    def get(self, path: str) -> Answer:
        answer = send("GET", self.base + path, headers=self._headers())
        self._keep_cookies(answer)
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
        if m:
            self.csrf = m.group(1).decode()
        return answer

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.csrf, **fields}
        ).encode()
        return send(
            "POST",
            self.base + path,
            body=data,
            headers=self._headers(
                {"Content-Type": "application/x-www-form-urlencoded"}
            ),
        )

    def post_file(
        self, path: str, fields: dict[str, str], name: str, filename: str, data: bytes
    ) -> Answer:
        boundary = uuid.uuid4().hex
        parts = []
        for k, v in {"csrfmiddlewaretoken": self.csrf, **fields}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return send(
            "POST",
            self.base + path,
            body=b"".join(parts),
            headers=self._headers(
                {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            ),
        )
