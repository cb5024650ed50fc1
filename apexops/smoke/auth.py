"""Diagnosing a 401 from what the token says about itself, without ever showing the token.

The runbook's answer to 401 is "echo $TOKEN | jwt decode -" and eyeballing. Here the claims are compared
with what the API expects: audience, expiry, issuer (tenant), plus the server's own WWW-Authenticate
error description, and the findings come back as sentences with a hint to the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apexops.tokens import AccessToken

__all__ = ["TokenDiagnosis", "diagnose_token", "parse_www_authenticate", "token_summary"]

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_www_authenticate(header: str | None) -> dict[str, str]:
    """The parameters of a Bearer challenge: {'scheme': 'Bearer', 'error': ..., 'error_description': ...}."""
    if not header:
        return {}
    scheme, _, rest = header.strip().partition(" ")
    out = {"scheme": scheme}
    for m in _PARAM.finditer(rest):
        out[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def _ago(delta_s: float) -> str:
    s = abs(delta_s)
    if s < 120:
        text = f"{s:.0f} s"
    elif s < 7200:
        text = f"{s / 60:.0f} min"
    else:
        text = f"{s / 3600:.1f} h"
    return f"{text} ago" if delta_s < 0 else f"in {text}"


def token_summary(token: AccessToken, *, now: datetime | None = None) -> dict[str, Any]:
    """What may be shown about a token: audience, issuer, subject, expiry. Never the value."""
    now = now or datetime.now(UTC)
    claims = token.claims
    at = token.expires_at
    return {
        "audience": token.audience,
        "issuer": claims.get("iss"),
        "subject": claims.get("sub") or claims.get("upn") or claims.get("appid"),
        "expires": token.expires_at_text,
        "expires_in": _ago((at - now).total_seconds()) if at else "unknown",
        "expired": token.is_expired(now),
    }


@dataclass(frozen=True)
class TokenDiagnosis:
    """Findings about a token against what the API expects; `problems` are the ones that explain a 401."""

    findings: tuple[str, ...]
    problems: tuple[str, ...]
    hint: str

    @property
    def text(self) -> str:
        return "; ".join(self.problems or self.findings)


def diagnose_token(
    token: AccessToken | None,
    *,
    expected_audience: str,
    expected_tenant: str | None = None,
    www_authenticate: str | None = None,
    now: datetime | None = None,
) -> TokenDiagnosis:
    """Why would (or did) the API refuse this token? Audience, expiry, issuer, and the server's words."""
    now = now or datetime.now(UTC)
    findings: list[str] = []
    problems: list[str] = []
    hints: list[str] = []
    if token is None:
        problems.append("no token was sent")
        hints.append("acquire a token first (step 1); check the identity with 00-preflight")
    else:
        aud = token.audience
        if aud != expected_audience:
            problems.append(f"token audience {aud!r} is not the API's {expected_audience!r}")
            hints.append(f"request the token for {expected_audience} (parameters auth.audience / client id)")
        else:
            findings.append(f"audience {aud!r} matches")
        at = token.expires_at
        if at is None:
            findings.append("the token states no expiry")
        elif at <= now:
            problems.append(f"token expired at {token.expires_at_text} ({_ago((at - now).total_seconds())})")
            hints.append("acquire a fresh token (re-run the token step; `az login` again on Azure)")
        else:
            findings.append(f"valid until {token.expires_at_text} ({_ago((at - now).total_seconds())})")
        iss = token.claims.get("iss")
        if expected_tenant and isinstance(iss, str) and expected_tenant not in iss:
            problems.append(f"issuer {iss!r} is not the tenant {expected_tenant!r}")
            hints.append("sign in to the right tenant (az login --tenant <tenant-id>)")
        elif iss:
            findings.append(f"issuer {iss!r}")
    challenge = parse_www_authenticate(www_authenticate)
    said = challenge.get("error_description") or challenge.get("error")
    if said:
        problems.append(f"server says: {said}")
    if not hints:
        hints.append(
            "the token looks right: check the API's Azure AD configuration "
            "(az ad app show --id <client-id> --query appId) and the app's AZURE_AD_CLIENT_ID"
        )
    return TokenDiagnosis(tuple(findings), tuple(problems), "; ".join(hints))
