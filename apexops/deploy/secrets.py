"""What counts as secret in deployment data, and how it is removed before anything is shown or saved.

Environment variables and configuration keys are judged by name (PASSWORD, SECRET, TOKEN, KEY, ...),
and any value this process has seen as a token (apexops.tokens) is scrubbed from text as a second line
of defence. Reference values (`${env:NAME}` resolved, or `*_env` names) are not secrets by themselves,
but a value under a secret-looking name is never printed, whatever its origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apexops.redact import HIDDEN, looks_secret, scrub_text

__all__ = ["redact_mapping"]


def redact_mapping(data: Any) -> Any:
    """A deep copy of JSON-like data with secret values replaced by HIDDEN.

    Handles plain keys and the ACA shapes: `env: [{"name": "X_SECRET", "value": ...}]` and
    `secrets: [{"name": ..., "value": ...}]` (every value in a `secrets` list is hidden).
    """
    return _redact(data, in_secrets=False)


def _redact(data: Any, *, in_secrets: bool) -> Any:
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        named_secret = isinstance(data.get("name"), str) and looks_secret(data["name"])
        for key, value in data.items():
            k = str(key)
            secret_value = k == "value" and (in_secrets or named_secret)
            secret_key = looks_secret(k) and isinstance(value, str | int | float)
            if (secret_value or secret_key) and value not in (None, ""):
                out[k] = HIDDEN
            else:
                out[k] = _redact(value, in_secrets=k.lower() == "secrets")
        return out
    if isinstance(data, list | tuple):
        return [_redact(v, in_secrets=in_secrets) for v in data]
    if isinstance(data, str):
        return scrub_text(data)
    return data
