"""Secret detection for parameters and scrubbing of artifacts (pure logic, no kernel)."""

from __future__ import annotations

import pytest

from apexops.errors import SecretInParameterError
from apexops.redact import (
    Redactor,
    check_parameters,
    looks_secret_name,
    redact_parameters,
    secret_value_reason,
)
from apexops.tokens import AccessToken

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9hcGV4Iiwic3ViIjoib3AifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2ln"


@pytest.mark.parametrize(
    "name",
    ["password", "db_password", "DB_PASSWD", "apiKey", "api_key", "storage_account_key", "client_secret",
     "auth_token", "connection_string", "connStr", "sas", "AZURE_CLIENT_SECRET", "key", "signing_key",
     "private_key", "credentials", "OPENAI_API_KEY"],
)  # fmt: skip
def test_secret_looking_names(name):
    assert looks_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["db_password_env", "api_key_secret_name", "token_ref", "env", "approval", "image_tag", "sort_key",
     "max_tokens", "dry_run", "revision", "keyword", "monkey", "key_vault_name", "subscription_id_env"],
)  # fmt: skip
def test_names_that_are_not_secrets(name):
    assert not looks_secret_name(name)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (JWT, "a JWT"),
        ("Bearer abcdefghijklmnopqrstuvwxyz012345", "a bearer token"),
        ("postgresql://apex:hunter2@db.local/apex", "a URL with a password"),
        ("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc123==;", "AccountKey="),
        ("Server=tcp:sql;Database=apex;Password=hunter2;", "Password="),
        ("https://st.blob.core.windows.net/c?sv=2022&sig=AbCdEf123%3D", "sig="),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "a private key"),
        ("Zm9vYmFyYmF6cXV4UXV1eDEyMzQ1Njc4OTBhYmNkZWZnaGlq", "base64"),
        ("0123456789abcdef0123456789abcdef01234567", "hex"),
    ],
)
def test_secret_looking_values_are_recognised(value, reason):
    found = secret_value_reason(value, "value")
    assert found is not None and reason in found
    assert value not in found  # a reason never quotes the value


@pytest.mark.parametrize(
    "value",
    [
        "DEPLOY v1.2.3 TO prod",
        "apexacr.azurecr.io/apex-backend:v1.2.3",
        "apexacr.azurecr.io/apex-backend@sha256:" + "ab" * 32,
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",  # a subscription id: not a secret
        "/work/main/outputs/runs/2026-01-01/SomeFolder1",
        "https://kv-apex-prod.vault.azure.net",
        "0002",
        "local",
    ],
)
def test_ordinary_values_pass(value):
    assert secret_value_reason(value, "value") is None


def test_a_commit_sha_is_fine_under_a_digest_name_only():
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert secret_value_reason(sha, "git_commit") is None
    assert secret_value_reason(sha, "note") is not None


def test_check_parameters_names_the_parameter_never_the_value():
    with pytest.raises(SecretInParameterError) as err:
        check_parameters({"env": "local", "db_password": "hunter2hunter2"})
    text = str(err.value)
    assert "'db_password'" in text and "hunter2" not in text
    assert "db_password_env=" in text and "HINT" in text and "\n" not in text


def test_check_parameters_looks_inside_lists_and_dicts():
    with pytest.raises(SecretInParameterError, match=r"'headers\.Authorization'.*bearer"):
        check_parameters({"headers": {"Authorization": "Bearer abcdefghijklmnopqrstu"}})


def test_a_reference_must_be_an_environment_variable_name():
    check_parameters({"db_password_env": "APEX_DB_PASSWORD"})  # fine
    with pytest.raises(SecretInParameterError, match="must hold the NAME of an environment variable"):
        check_parameters({"db_password_env": "hunter2!"})


def test_a_value_equal_to_a_secret_environment_variable_is_refused():
    environ = {"APEX_DB_PASSWORD": "correct-horse-battery"}
    with pytest.raises(SecretInParameterError, match=r"\$APEX_DB_PASSWORD.*-p note_env=APEX_DB_PASSWORD"):
        check_parameters({"note": "correct-horse-battery"}, environ=environ)


def test_numbers_under_secret_looking_names_are_allowed():
    check_parameters({"token_ttl_s": 3600, "dry_run": True})


def test_redactor_scrubs_known_values_in_every_form_and_counts():
    r = Redactor({"s3cr3t<&>value": "env:X"})
    assert r.scrub_text("a s3cr3t<&>value b") == "a [REDACTED:env:X] b"
    assert r.scrub_text("html s3cr3t&lt;&amp;&gt;value") == "html [REDACTED:env:X]"
    assert r.scrub_text('json "s3cr3t<&>value"') == 'json "[REDACTED:env:X]"'
    assert r.counts["env:X"] == 3 and r.total == 3


def test_redactor_scrubs_credential_patterns_without_known_values():
    r = Redactor()
    text = (
        f"Authorization: Bearer {JWT}\n"
        "url postgresql://apex:hunter2@db/apex\n"
        "conn Server=x;Password=hunter2;AccountKey=abc==\n"
        "Bearer abcdefghijklmnopqrstuvwx"
    )
    out = r.scrub_text(text)
    assert "hunter2" not in out and "abc==" not in out and "c2lnbmF0dXJl" not in out
    assert "postgresql://apex:[REDACTED:url-password]@db/apex" in out
    assert "Bearer [REDACTED:bearer]" in out
    assert r.counts["jwt"] == 1 and r.counts["url-password"] == 1 and r.counts["connection-string"] == 2
    # scrubbing is idempotent: a second pass changes and counts nothing
    before = r.total
    assert r.scrub_text(out) == out and r.total == before


def test_redactor_keeps_the_structure_of_a_notebook_like_object():
    r = Redactor({"topsecretvalue": "token"})
    obj = {"cells": [{"source": "x = 'topsecretvalue'", "outputs": [{"text": ["topsecretvalue\n"]}]}], "n": 3}
    assert r.scrub(obj) == {
        "cells": [{"source": "x = '[REDACTED:token]'", "outputs": [{"text": ["[REDACTED:token]\n"]}]}],
        "n": 3,
    }


def test_redactor_scrubs_files_text_and_binary(tmp_path):
    r = Redactor({"topsecretvalue": "token"})
    text, blob = tmp_path / "a.txt", tmp_path / "b.bin"
    text.write_text("pw=topsecretvalue\n")
    blob.write_bytes(b"\xff\xfe topsecretvalue \x00")
    assert r.scrub_file(text) == 1 and r.scrub_file(blob) == 1
    assert text.read_text() == "pw=[REDACTED:token]\n"
    assert b"topsecretvalue" not in blob.read_bytes()


def test_for_run_collects_env_secrets_references_and_remembered_tokens():
    AccessToken("remembered-token-value-123")  # registers itself with apexops.tokens
    environ = {
        "APEX_DB_PASSWORD": "pw-from-env-123",
        "OPAQUE": "behind-a-reference",
        "PWD": "/not/a/secret",  # the working directory, not a password
        "SHORT_TOKEN": "abc",  # too short to scrub safely
        "APEX_AUTH_KEY_FILE": "/some/key/file",  # a location, not a secret
    }
    r = Redactor.for_run(parameters={"x_env": "OPAQUE"}, environ=environ)
    assert r.secrets["pw-from-env-123"] == "env:APEX_DB_PASSWORD"
    assert r.secrets["behind-a-reference"] == "env:OPAQUE"
    assert r.secrets["remembered-token-value-123"] == "token"
    assert "/not/a/secret" not in r.secrets and "abc" not in r.secrets and "/some/key/file" not in r.secrets


def test_redact_parameters_hides_secret_named_values_for_display():
    shown = redact_parameters({"env": "prod", "api_key": "x" * 12, "dry_run": True, "url": JWT})
    assert shown == {"env": "prod", "api_key": "[REDACTED:parameter]", "dry_run": True,
                     "url": "[REDACTED:parameter]"}  # fmt: skip


def test_a_url_password_holding_an_at_sign_is_hidden_whole():
    out = Redactor().scrub_text("dsn postgresql://apex:p@ss:w0rd@db.local:5432/apex and more")
    assert out == "dsn postgresql://apex:[REDACTED:url-password]@db.local:5432/apex and more"


@pytest.mark.parametrize(
    "text", ["Server=db;Password='a b c';", 'Server=db;Password="a b c";', 'json "Password=\\"a b c\\";"']
)
def test_a_quoted_connection_string_password_is_hidden_up_to_its_quote(text):
    out = Redactor().scrub_text(text)
    assert "a b c" not in out and "b c" not in out and "[REDACTED:connection-string]" in out


def test_scrub_bytes_reads_text_as_utf8_and_anything_else_as_bytes():
    r = Redactor({"topsecretvalue": "token"})
    assert r.scrub_bytes("é topsecretvalue".encode()) == "é [REDACTED:token]".encode()
    assert r.scrub_bytes(b"\xff topsecretvalue") == b"\xff [REDACTED:token]"
