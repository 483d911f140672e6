"""How a service's refusal reaches the form the user filled in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def form_errors(form: Any, error: ValidationError) -> None:
    """Add ``error`` (raised by a service) to ``form``: each message beside the field
    it names, or at the top of the form when it names none the form shows."""
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e)
    else:
        for message in error.messages:
            form.add_error(None, message)
