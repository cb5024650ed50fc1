"""Which URL procedure 40 tests, and with which token: resolved from the parameters before any request.

By default the smoke tests hit the latest revision's own URL (it bypasses the traffic split, so the new
revision is tested before it serves users, as the runbook's $REVISION_FQDN does). `revision` picks another
revision; `target_url="ingress"` tests the app's main URL; an explicit http(s) URL is taken as is.

Token rehearsal: `rehearse_auth_failure="expired"` asks the identity for a token issued two hours ago
(`Identity.rehearsal_token`; the sandbox can, Azure AD cannot), so an operator can see what the 401
diagnosis looks like before meeting it in production.
A wrong audience needs no rehearsal switch: pass `api_audience`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from apexops.errors import ConfigError, ConflictError, NotFoundError, NotSupportedError

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.ports import ContainerApp
    from apexops.tokens import AccessToken

__all__ = ["REHEARSALS", "SmokeTarget", "resolve_target", "token_source"]

REHEARSALS = ("", "expired")


@dataclass(frozen=True)
class SmokeTarget:
    """The URL under test, the revision it reaches (None when the ingress splits traffic), and why."""

    url: str
    revision: str | None
    kind: Literal["revision", "ingress", "url"]
    description: str

    def rows(self) -> list[dict[str, Any]]:
        return [{"target": self.kind, "url": self.url, "revision": self.revision or "(split by traffic)",
                 "why": self.description}]  # fmt: skip


def _revision_target(app: ContainerApp, name: str, why: str) -> SmokeTarget:
    try:
        rev = app.get_revision(name)
    except NotFoundError as exc:
        raise NotFoundError(
            f"revision {name!r} (parameter revision) does not exist.",
            hint=exc.hint or "list the revisions with 30-application-deployment.",
        ) from None
    if not rev.active or not rev.url:
        raise ConflictError(
            f"revision {name} is {'inactive' if not rev.active else 'without a URL'}: "
            "its URL does not answer.",
            hint=f"activate it first (az containerapp revision activate --revision {name}), or test another "
            "revision.",
        )
    return SmokeTarget(rev.url, rev.name, "revision", why)


def resolve_target(app: ContainerApp, *, target_url: str = "", revision: str = "") -> SmokeTarget:
    """The smoke target from the notebook's `target_url` and `revision` parameters."""
    target_url, revision = (target_url or "").strip(), (revision or "").strip()
    if target_url == "":
        if revision:
            return _revision_target(app, revision, "the revision named by the parameter, on its own URL")
        state = app.show()
        if not state.latest_revision_name:
            raise NotFoundError(
                "the app has no revision to test.", hint="deploy one with 30-application-deployment."
            )
        return _revision_target(
            app, state.latest_revision_name, "the latest revision, on its own URL (no traffic involved)"
        )
    if target_url == "ingress":
        state = app.show()
        weighted = [t for t in state.traffic if t.weight > 0]
        rev = revision or (
            weighted[0].revision_name if len(weighted) == 1 and weighted[0].revision_name else None
        )
        split = ", ".join(f"{t.revision_name or 'latest'}={t.weight}%" for t in weighted)
        return SmokeTarget(state.url, rev or None, "ingress", f"the app's main URL (traffic: {split})")
    parts = urlsplit(target_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"target_url {target_url!r} is not a URL.",
            hint="leave target_url empty for the latest revision's URL, set it to 'ingress' for the app's "
            "main URL, or give a full http(s):// URL.",
        )
    return SmokeTarget(target_url.rstrip("/"), revision or None, "url", "the URL given by the parameter")


def token_source(
    env: Environment, audience: str, *, rehearse: str = "", now: datetime | None = None
) -> Callable[[], AccessToken]:
    """How the suite gets its token: the environment's identity, or (sandbox only) a rehearsal token."""
    if rehearse not in REHEARSALS:
        raise ConfigError(
            f"rehearse_auth_failure {rehearse!r} is not known.",
            hint="use '' (a real token) or 'expired' (sandbox only).",
        )
    if not rehearse:
        return lambda: env.identity.api_token(audience)
    issued = (now or datetime.now(UTC)) - timedelta(hours=2)
    try:
        token = env.identity.rehearsal_token(audience, issued)
    except NotSupportedError:
        raise ConfigError(
            "rehearse_auth_failure works on the sandbox only.",
            hint="leave rehearse_auth_failure empty outside the sandbox.",
        ) from None
    return lambda: token
