"""What counts as secret in deployment data, and how it is removed before anything is shown or saved.

Environment variables and configuration keys are judged by name (PASSWORD, SECRET, TOKEN, KEY, ...),
and any value this process has seen as a token (apexops.tokens) is scrubbed from text as a second line
of defence. Reference values (`${env:NAME}` resolved, or `*_env` names) are not secrets by themselves,
but a value under a secret-looking name is never printed, whatever its origin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apexops.redact import looks_secret_name
from apexops.tokens import known_secret_values

__all__ = ["HIDDEN", "looks_secret", "redact_mapping", "scrub_text"]

HIDDEN = "<hidden>"

_SECRET_NAME = re.compile(
    r"(passw(or)?d|passwd|secret|token|api_?key|access_?key|account_?key|private_?key|(^|_)sas(_|$)|"
    r"conn(ection)?_?str(ing)?|credential|signing_?key|client_?secret|(^|_)key$)",
    re.I,
)
#: keys that hold references to secrets, not secrets (ACA: secretRef, passwordSecretRef, keyVaultUrl)
_REFERENCE = re.compile(r"(secret_?ref|_env$|key_?vault_?url)", re.I)


def looks_secret(name: str) -> bool:
    """True when a key or variable name suggests its value is a secret (references excepted).

    Deliberately the union of this module's patterns and the run-wide redactor's
    (`apexops.redact.looks_secret_name`): hiding a harmless value costs little, printing a key a lot.
    """
    if _REFERENCE.search(name):
        return False
    return bool(_SECRET_NAME.search(name)) or looks_secret_name(name)


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


def scrub_text(text: str) -> str:
    """Replace every token value this process has seen with HIDDEN."""
    for value in known_secret_values():
        if value in text:
            text = text.replace(value, HIDDEN)
    return text
