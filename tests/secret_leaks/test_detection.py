"""Item 7 (detection): secret-shaped parameter values and parameter-file values are refused."""

from __future__ import annotations

import base64
import random

import pytest

from apexops.errors import SecretInParameterError
from apexops.redact import check_parameters, secret_value_reason

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9hcGV4Iiwic3ViIjoib3AifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2ln"


@pytest.mark.parametrize("size", [32, 64])
def test_every_random_storage_key_is_flagged_whatever_its_slashes(size):
    rng = random.Random(14)
    keys = [base64.b64encode(rng.randbytes(size)).decode() for _ in range(2000)]
    assert sum(k.count("/") >= 3 or k[0] == "/" for k in keys) > 40  # the shapes that used to pass
    missed = [k for k in keys if secret_value_reason(k, "value") is None]
    assert missed == []


def test_a_key_starting_with_a_slash_is_flagged():
    rng = random.Random(3)
    key = next(
        k for k in (base64.b64encode(rng.randbytes(64)).decode() for _ in range(10_000)) if k[0] == "/"
    )
    assert secret_value_reason(key) is not None


@pytest.mark.parametrize(
    "value",
    [
        "Bearer%20" + JWT,
        "Bearer+" + JWT,
        "Authorization=Bearer%20" + JWT[:40] + "abcdefghijklmnop",
        base64.b64encode(random.Random(1).randbytes(64)).decode().replace("/", "%2F").replace("=", "%3D"),
    ],
)
def test_url_encoded_credentials_are_flagged(value):
    assert secret_value_reason(value) is not None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Server=tcp:db;Database=apex;Password=hunter2;", "Password="),
        ("Server=db;Password='a b c';", "Password="),
        ("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc123==;", "AccountKey="),
        (
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=k3y",
            "SharedAccessKey=",
        ),
        ("https://apex:hunter2@db.local/apex", "password"),
        ("postgresql://apex:p@ss:w0rd@db.local:5432/apex", "password"),
        ("redis://:hunter2@cache:6379/0", "password"),
    ],
)
def test_connection_strings_and_urls_with_passwords_are_flagged(value, reason):
    found = secret_value_reason(value)
    assert found is not None and reason in found and "hunter2" not in found


@pytest.mark.parametrize(
    "value", ["/work/main/outputs/runs/2026-01-01/SomeFolder1", "https://db.local:5432/apex", "a+b=c"]
)
def test_ordinary_values_still_pass(value):
    assert secret_value_reason(value) is None


@pytest.mark.parametrize(
    "document",
    [
        {"app": {"env": {"AZURE_STORAGE_KEY": "not-shaped-like-a-key"}}},
        {"app": {"env": {"DB": "Server=db;Password=hunter2;"}}},
        {"app": {"env": {"URL": "https://apex:hunter2@db.local/apex"}}},
        {"storage": {"key": base64.b64encode(random.Random(2).randbytes(64)).decode()}},
    ],
)
def test_literal_secrets_in_a_parameters_file_are_refused(document):
    with pytest.raises(SecretInParameterError) as err:
        check_parameters(document, environ={})
    assert "hunter2" not in str(err.value) and "not-shaped" not in str(err.value)
