"""Turning form input into the services' models, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vodstack.core.errors import Invalid

ModelT = TypeVar("ModelT", bound=BaseModel)

# Pydantic's own wording talks about patterns and string lengths; these say what to type.
FRIENDLY: Mapping[str, str] = {
    "email": "Enter a valid email address, like you@example.com.",
    "password": "Passwords need 8 to 128 characters.",
    "pin": "A PIN is exactly 4 digits.",
    "name": "Give it a name of 1 to 40 characters.",
    "avatar_color": "Pick a colour.",
    "maturity": "Choose a maturity level.",
    "plan": "Choose one of the plans.",
}


def problems(exc: ValidationError, friendly: Mapping[str, str] = FRIENDLY) -> list[str]:
    """One readable line per invalid field."""
    lines: list[str] = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        line = friendly.get(field) or f"{field.replace('_', ' ').capitalize()}: {error['msg']}."
        if line not in lines:
            lines.append(line)
    return lines


def parse_form(
    model: type[ModelT], friendly: Mapping[str, str] = FRIENDLY, **fields: Any
) -> ModelT:
    """Build `model` from form fields, raising `Invalid` with readable messages."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        lines = problems(exc, friendly)
        raise Invalid(" ".join(lines), details=[{"message": line} for line in lines]) from exc
