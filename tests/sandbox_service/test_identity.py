"""The sandbox identity mints real JWTs; verification refuses every kind of bad token with its reason."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from apexops.errors import AuthenticationError, ConfigError
from apexops.sandbox.identity import (
    DEFAULT_TENANT_ID,
    SandboxIdentity,
    TokenRejectedError,
    load_signing_key,
    verify_token,
)
from apexops.tokens import AccessToken

AUD = "api://apex-local-client"


def test_mint_and_verify_round_trip_with_azure_like_claims(tmp_path):
    ident = SandboxIdentity(tmp_path)
    token = ident.mint(AUD, ttl_s=600)
    assert isinstance(token, AccessToken)
    raw = token.authorization_header()["Authorization"].removeprefix("Bearer ")
    claims = ident.verify(raw, AUD)
    assert claims["aud"] == AUD
    assert claims["iss"] == f"https://login.sandbox.local/{DEFAULT_TENANT_ID}/v2.0" == ident.issuer
    assert claims["tid"] == DEFAULT_TENANT_ID and claims["sub"] == "sandbox-operator"
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    assert claims["name"] and claims["oid"]
    assert token.audience == AUD
    assert abs((token.expires_at - datetime.now(UTC)).total_seconds() - 600) < 5


def test_token_value_is_never_printable(tmp_path):
    token = SandboxIdentity(tmp_path).mint(AUD)
    raw = token.authorization_header()["Authorization"].removeprefix("Bearer ")
    for text in (repr(token), str(token), f"{token}", token._repr_html_()):
        assert raw not in text and "hidden" in text


def test_key_file_is_created_once_with_mode_0600(tmp_path):
    ident = SandboxIdentity(tmp_path)
    assert not ident.key_path.exists()
    ident.mint(AUD)
    assert stat.S_IMODE(ident.key_path.stat().st_mode) == 0o600
    key = load_signing_key(ident.key_path)
    assert len(key) == 32
    SandboxIdentity(tmp_path).mint(AUD)
    assert load_signing_key(ident.key_path) == key  # a second identity reuses the key
    os.chmod(ident.key_path, 0o644)
    ident.ensure_key()
    assert stat.S_IMODE(ident.key_path.stat().st_mode) == 0o600


def _mint_in_child(home: str, queue) -> None:
    queue.put(SandboxIdentity(home).mint(AUD).authorization_header()["Authorization"])


def test_processes_racing_to_create_the_key_agree(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_mint_in_child, args=(str(tmp_path), queue)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(20)
        assert p.exitcode == 0
    ident = SandboxIdentity(tmp_path)
    for _ in procs:
        ident.verify(queue.get(timeout=5).removeprefix("Bearer "), AUD)


def _raw(token: AccessToken) -> str:
    return token.authorization_header()["Authorization"].removeprefix("Bearer ")


def test_verify_refuses_each_bad_token_with_a_reason(tmp_path):
    ident = SandboxIdentity(tmp_path / "a")
    other = SandboxIdentity(tmp_path / "b")
    good = _raw(ident.mint(AUD))
    header, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    cases = {
        "bad_signature": _raw(other.mint(AUD)),
        "wrong_audience": _raw(ident.mint("api://another-app")),
        "expired": _raw(ident.mint(AUD, ttl_s=60, now=datetime.now(UTC) - timedelta(hours=1))),
        "not_yet_valid": _raw(ident.mint(AUD, now=datetime.now(UTC) + timedelta(hours=1))),
        "malformed": "abc.def",
    }
    for reason, raw in cases.items():
        with pytest.raises(TokenRejectedError) as info:
            ident.verify(raw, AUD)
        assert info.value.reason == reason, (reason, info.value)
        assert isinstance(info.value, AuthenticationError) and info.value.hint
    with pytest.raises(TokenRejectedError) as info:
        ident.verify(f"{header}.{forged}.{sig}", AUD)
    assert info.value.reason == "bad_signature"
    none_alg = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    with pytest.raises(TokenRejectedError) as info:
        ident.verify(f"{none_alg}.{payload}.", AUD)
    assert info.value.reason in ("bad_algorithm", "malformed")
    with pytest.raises(TokenRejectedError) as info:
        verify_token(
            good, key=load_signing_key(ident.key_path), audience=AUD, issuer="https://elsewhere/v2.0"
        )
    assert info.value.reason == "wrong_issuer"


def test_wrong_audience_message_names_both_audiences(tmp_path):
    ident = SandboxIdentity(tmp_path)
    with pytest.raises(TokenRejectedError) as info:
        ident.verify(_raw(ident.mint("api://x")), AUD)
    assert "api://x" in str(info.value) and AUD in str(info.value)


def test_whoami_and_api_token(tmp_path):
    ident = SandboxIdentity(tmp_path, tenant_id="t-1")
    who = ident.whoami()
    assert (who.kind, who.tenant_id, who.source) == ("sandbox", "t-1", "sandbox identity")
    assert ident.verify(_raw(ident.api_token(AUD)), AUD)["tid"] == "t-1"


def test_bad_inputs_and_key_files(tmp_path):
    ident = SandboxIdentity(tmp_path)
    with pytest.raises(ConfigError, match="audience"):
        ident.mint("")
    with pytest.raises(ConfigError, match="ttl_s"):
        ident.mint(AUD, ttl_s=0)
    with pytest.raises(ConfigError, match="does not exist"):
        load_signing_key(tmp_path / "nope.key")
    (tmp_path / "short.key").write_text("abcd\n")
    with pytest.raises(ConfigError, match="shorter"):
        load_signing_key(tmp_path / "short.key")
    (tmp_path / "junk.key").write_text("not hex at all\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_signing_key(tmp_path / "junk.key")
