"""The Identity port on Azure AD: who is acting (from the token's claims) and tokens for the APEX API.

The operator's identity is read from the claims of an ARM token minted by the same credential the
adapters use (DefaultAzureCredential: `az login`, managed identity, workload identity, environment), so
the context cell shows exactly who will act. Token values never leave as text: `api_token` returns an
`apexops.tokens.AccessToken`, whose repr shows only audience and expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apexops import azcli
from apexops.azure._clients import ARM_SCOPE, AzureClients
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError, NotSupportedError
from apexops.models import Principal
from apexops.tokens import AccessToken, decode_claims, remember_secret

__all__ = ["AzureIdentity", "principal_from_claims"]


def principal_from_claims(claims: dict, source: str) -> Principal:
    """user (upn), managed identity (xms_mirid) or service principal (appid), with the tenant."""
    tenant = claims.get("tid")
    user_keys = ("upn", "unique_name", "preferred_username")
    if claims.get("idtyp") == "user" or any(k in claims for k in user_keys):
        name = (claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name")
                or claims.get("email") or claims.get("oid") or "unknown user")
        return Principal(name=str(name), kind="user", tenant_id=tenant, source=source)
    if claims.get("xms_mirid"):
        mi = str(claims["xms_mirid"]).rstrip("/").rsplit("/", 1)[-1]
        return Principal(name=f"{mi} (appid {claims.get('appid') or claims.get('azp')})",
                         kind="managed_identity", tenant_id=tenant, source=source)
    app = claims.get("app_displayname") or claims.get("appid") or claims.get("azp") or claims.get("oid")
    return Principal(name=str(app or "unknown"), kind="service_principal", tenant_id=tenant, source=source)


class AzureIdentity:
    """DefaultAzureCredential, seen from the operator's side."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings

    def _source(self) -> str:
        cred = self._c.credential
        # DefaultAzureCredential remembers which link of its chain worked (private attribute; best effort)
        inner = getattr(cred, "_successful_credential", None)
        return type(inner or cred).__name__

    def whoami(self) -> Principal:
        with map_azure_errors("read the operator identity", self._s, service="aad"):
            raw = self._c.credential.get_token(ARM_SCOPE).token
        remember_secret(raw)
        return principal_from_claims(decode_claims(raw), self._source())

    def api_token(self, audience: str) -> AccessToken:
        aud = (audience or "").strip().removesuffix("/.default").rstrip("/")
        if not aud or "<" in aud or aud.endswith(":"):
            env = self._s.auth.client_id_env
            raise ConfigError(f"the API audience {audience!r} names no application.",
                              hint=f"export {env}=<client id of the APEX API app registration>.")
        with map_azure_errors(f"get a token for {aud}", self._s, service="aad"):
            tok = self._c.credential.get_token(f"{aud}/.default")
        return AccessToken(tok.token, expires_on=datetime.fromtimestamp(tok.expires_on, tz=UTC))

    def rehearsal_token(self, audience: str, issued_at: datetime) -> AccessToken:
        raise NotSupportedError(
            "Azure AD mints its own tokens and cannot backdate one.",
            hint=f"to see the API refuse an expired token, keep one from "
            f"{azcli.account_get_access_token(audience or '<audience>')} for over an hour, then call the API "
            "with it.",
        )
