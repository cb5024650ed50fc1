"""Bearer tokens that cannot be printed by accident.

An `AccessToken` hides its value from `repr`, `str`, f-strings and notebook display; only its claims
(audience, expiry, issuer, subject) may be shown. The value leaves the object only as an Authorization
header for an HTTP client. Each token's value is also remembered in-process so the redactor can scrub it
from anything a cell prints (defence in depth; the runner scans artifacts again afterwards).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["AccessToken", "decode_claims", "known_secret_values", "remember_secret"]

_SECRETS: set[str] = set()


def remember_secret(value: str) -> None:
    """Register a secret value seen in this process so redaction can scrub it from outputs."""
    if value and len(value) >= 8:
        _SECRETS.add(value)


def known_secret_values() -> frozenset[str]:
    return frozenset(_SECRETS)


def decode_claims(raw: str) -> dict[str, Any]:
    """The claims of a JWT without verifying it: for diagnosis only, never for trust decisions."""
    parts = raw.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True, repr=False)
class AccessToken:
    """A bearer token whose value never appears in output."""

    _value: str
    expires_on: datetime | None = None

    def __post_init__(self) -> None:
        remember_secret(self._value)

    def __repr__(self) -> str:
        c = self.claims
        return f"AccessToken(aud={c.get('aud')!r}, expires={self.expires_at_text}, value=<hidden>)"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<code>{self!r}</code>"

    @property
    def claims(self) -> dict[str, Any]:
        """Audience, issuer, subject, expiry ... as the token states them (unverified)."""
        return decode_claims(self._value)

    @property
    def audience(self) -> str | None:
        aud = self.claims.get("aud")
        return aud if isinstance(aud, str) or aud is None else ",".join(aud)

    @property
    def expires_at(self) -> datetime | None:
        if self.expires_on is not None:
            return self.expires_on
        exp = self.claims.get("exp")
        return datetime.fromtimestamp(exp, tz=UTC) if isinstance(exp, int | float) else None

    @property
    def expires_at_text(self) -> str:
        at = self.expires_at
        return at.isoformat(timespec="seconds") if at else "unknown"

    def is_expired(self, now: datetime | None = None) -> bool:
        at = self.expires_at
        return at is not None and at <= (now or datetime.now(UTC))

    def authorization_header(self) -> dict[str, str]:
        """The only way the value leaves: as a header dict handed straight to an HTTP client."""
        return {"Authorization": f"Bearer {self._value}"}
