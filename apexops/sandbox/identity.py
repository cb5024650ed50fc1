"""The sandbox identity: Azure AD's role for the sandbox, minting and checking APEX API tokens.

Tokens are real JWTs (HS256, PyJWT) with the claims an Azure AD v2 access token carries (aud, iss, sub,
iat, nbf, exp, tid, name, oid), so the smoke procedure can show and diagnose them the same way on both
targets. The signing key is one random secret per sandbox home, created on first use in
`<home>/identity/signing.key` with mode 0600; it is never printed, and the replicas read it from
APEX_AUTH_KEY_FILE. PyJWT is imported on first mint/verify only (it pulls in `cryptography`, ~0.1 s),
which keeps replica start-up and `import apexops` light.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.errors import AuthenticationError, ConfigError
from apexops.models import Principal
from apexops.tokens import AccessToken, decode_claims

__all__ = ["DEFAULT_TENANT_ID", "SandboxIdentity", "TokenRejectedError", "load_signing_key", "verify_token"]

#: the sandbox's made-up tenant (a valid GUID, so tools that parse tenant ids accept it)
DEFAULT_TENANT_ID = "5a4d1d5e-0000-4000-8000-00000000a9e7"
_HINT = "mint a new token with the sandbox identity for the API audience (settings.api_audience)."


class TokenRejectedError(AuthenticationError):
    """A bearer token the API refuses; `reason` is a stable code for diagnosis.

    reasons: missing, malformed, bad_signature, bad_algorithm, wrong_audience, wrong_issuer, expired,
    not_yet_valid, missing_claim
    """

    def __init__(self, reason: str, message: str, hint: str | None = _HINT) -> None:
        super().__init__(message, hint)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.message, self.hint))


def load_signing_key(path: Path) -> bytes:
    """The HS256 key in a key file (hex text). ConfigError if it is missing or not a key."""
    try:
        text = Path(path).read_text().strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise ConfigError(
            f"signing key file {path} does not exist.",
            hint="create it with SandboxIdentity(home).ensure_key().",
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"signing key file {path} cannot be read as a key ({type(exc).__name__}).",
            hint="delete it; the sandbox identity creates a new one on next use.",
        ) from None
    if len(key) < 32:
        raise ConfigError(
            f"signing key file {path} holds a key shorter than 32 bytes.",
            hint="delete it; the sandbox identity creates a new one on next use.",
        )
    return key


def verify_token(
    raw: str, *, key: bytes, audience: str, issuer: str | None = None, leeway_s: float = 5.0
) -> dict[str, Any]:
    """The verified claims of `raw`, or TokenRejectedError saying exactly why it was refused."""
    import jwt  # lazily: see the module docstring

    if not raw or raw.count(".") != 2:
        raise TokenRejectedError(
            "malformed", "the bearer token is not a JWT (expected three dot-separated parts)."
        )
    try:
        return jwt.decode(
            raw,
            key,
            algorithms=["HS256"],
            audience=audience,
            issuer=issuer,
            leeway=leeway_s,
            options={"require": ["exp", "iat", "nbf", "aud", "iss", "sub"], "verify_iss": issuer is not None},
        )
    except jwt.ExpiredSignatureError:
        exp = decode_claims(raw).get("exp")
        when = datetime.fromtimestamp(exp, UTC).isoformat(timespec="seconds") if isinstance(exp, int) else "?"
        raise TokenRejectedError("expired", f"the token expired at {when}.") from None
    except jwt.InvalidAudienceError:
        got = decode_claims(raw).get("aud")
        raise TokenRejectedError(
            "wrong_audience",
            f"the token's audience {got!r} is not this API's audience {audience!r}.",
            hint=f"request the token for audience {audience}.",
        ) from None
    except jwt.InvalidIssuerError:
        got = decode_claims(raw).get("iss")
        raise TokenRejectedError("wrong_issuer", f"the token's issuer {got!r} is not {issuer!r}.") from None
    except jwt.InvalidSignatureError:
        raise TokenRejectedError(
            "bad_signature",
            "the token's signature does not verify (minted by another identity or altered).",
        ) from None
    except jwt.ImmatureSignatureError:
        raise TokenRejectedError(
            "not_yet_valid", "the token is not valid yet (nbf/iat in the future)."
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRejectedError("missing_claim", f"the token lacks the {exc.claim!r} claim.") from None
    except jwt.InvalidAlgorithmError:
        raise TokenRejectedError("bad_algorithm", "the token is not signed with HS256.") from None
    except jwt.InvalidTokenError as exc:
        raise TokenRejectedError(
            "malformed", f"the bearer token cannot be decoded ({type(exc).__name__})."
        ) from None


class SandboxIdentity:
    """The operator's identity on the sandbox: mints bearer tokens the reference service accepts."""

    def __init__(
        self, home: Path, tenant_id: str = DEFAULT_TENANT_ID, *, name: str = "Sandbox Operator"
    ) -> None:
        self.home = Path(home)
        self.tenant_id = tenant_id
        self.name = name

    def __repr__(self) -> str:
        return f"SandboxIdentity(home={str(self.home)!r}, tenant_id={self.tenant_id!r})"

    @property
    def key_path(self) -> Path:
        return self.home / "identity" / "signing.key"

    @property
    def issuer(self) -> str:
        return f"https://login.sandbox.local/{self.tenant_id}/v2.0"

    def ensure_key(self) -> Path:
        """Create the signing key if there is none yet (mode 0600; safe when several processes race)."""
        path = self.key_path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)  # repair a key that became readable by others
            return path
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        return path

    def _key(self) -> bytes:
        self.ensure_key()
        for _ in range(20):  # a concurrent creator may not have written the key yet
            try:
                return load_signing_key(self.key_path)
            except ConfigError:
                time.sleep(0.01)
        return load_signing_key(self.key_path)

    def mint(
        self,
        audience: str,
        *,
        ttl_s: float = 3600,
        subject: str = "sandbox-operator",
        now: datetime | None = None,
    ) -> AccessToken:
        """A bearer token for `audience`, valid for `ttl_s` seconds from `now`."""
        import jwt

        if not audience:
            raise ConfigError(
                "audience is empty.", hint="pass the API audience, e.g. api://apex-local-client."
            )
        if ttl_s <= 0:
            raise ConfigError(
                f"ttl_s must be > 0 (got {ttl_s}).", hint="pass a positive lifetime in seconds."
            )
        issued = int((now or datetime.now(UTC)).timestamp())
        expires = issued + max(1, int(ttl_s))
        claims = {
            "aud": audience,
            "iss": self.issuer,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": expires,
            "tid": self.tenant_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{subject}")),
            "name": self.name if subject == "sandbox-operator" else subject,
            "ver": "2.0",
        }
        value = jwt.encode(claims, self._key(), algorithm="HS256")
        return AccessToken(value, expires_on=datetime.fromtimestamp(expires, UTC))

    def api_token(self, audience: str) -> AccessToken:
        """The Identity port's spelling of `mint`."""
        return self.mint(audience)

    def rehearsal_token(self, audience: str, issued_at: datetime) -> AccessToken:
        """A token as if minted at `issued_at` (the Identity port's capability for rehearsing expiry)."""
        return self.mint(audience, ttl_s=3600, now=issued_at)

    def verify(self, raw_token: str, audience: str) -> dict[str, Any]:
        """The claims of a token this identity minted for `audience`; TokenRejectedError otherwise."""
        return verify_token(raw_token, key=self._key(), audience=audience, issuer=self.issuer)

    def whoami(self) -> Principal:
        return Principal(name=self.name, kind="sandbox", tenant_id=self.tenant_id, source="sandbox identity")
