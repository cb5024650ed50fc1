"""Contract tests of AzureRegistry (ACR data plane), AzureIdentity, AzureBlobStore and AzureDatabase."""

from __future__ import annotations

import struct
import sys
import types
from datetime import UTC, datetime

import pytest
from _azure_fakes import CONTAINERS_XML, acr, arm_error, assert_plain, example_body, ok

from apexops.azure.blobs import AzureBlobStore
from apexops.azure.database import SQL_COPT_SS_ACCESS_TOKEN, AzureDatabase, token_struct
from apexops.azure.identity import AzureIdentity
from apexops.azure.registry import AzureRegistry
from apexops.errors import (
    AuthenticationError,
    AuthorizationError,
    ConfigError,
    NotFoundError,
    TargetError,
    TargetUnavailableError,
)
from apexops.tokens import AccessToken


def test_list_tags_exchanges_tokens_and_parses_the_official_tag_list(clients, fake, credential):
    acr(fake, "/acr/v1/apex-backend/_tags", ok(example_body("containerregistry/GetTagList.json")))
    tags = AzureRegistry(clients).list_tags("apex-backend")
    assert [t.tag for t in tags] == [
        "4.7.2-20180906-nanoserver-1803",
        "4.7.2-20180905-nanoserver-1803",
    ]  # newest first
    newest = tags[0]
    assert newest.digest == "sha256:7af5cd1dde3e8f5c2c9103860afa4ca871a6075373b6564b0e7b1b47866dab52"
    assert newest.created == datetime(2018, 9, 6, 16, 30, 43, 386016, tzinfo=UTC)
    assert newest.image == "apexacr.azurecr.io/apex-backend:4.7.2-20180906-nanoserver-1803"
    listing = fake.calls("GET", "/_tags$")[-1]
    assert listing.query["orderby"] == ["timedesc"] and listing.url.startswith("https://apexacr.azurecr.io/")
    exchange = fake.calls("POST", "/oauth2/exchange")[0].form()
    assert exchange["grant_type"] == ["access_token"] and exchange["service"] == ["apexacr.azurecr.io"]
    assert "https://containerregistry.azure.net/.default" in credential.scopes
    assert_plain(tags)


def test_get_tag_reads_digest_and_creation_time(clients, fake):
    acr(
        fake, "/acr/v1/apex-backend/_tags/v1.2.3", ok(example_body("containerregistry/GetTagAttributes.json"))
    )
    tag = AzureRegistry(clients).get_tag("apex-backend", "v1.2.3")
    assert tag.digest == "sha256:eabe547f78d4c18c708dd97ec3166cf7464cc651f1cbb67e70d407405b7ad7b6"
    assert tag.created == datetime(2018, 10, 5, 20, 54, 24, 128604, tzinfo=UTC)
    assert (
        tag.tag == "tagName" and tag.repository == "apex-backend"
    )  # the tag's name as the registry states it


def test_a_missing_tag_is_not_found_with_the_known_tags_in_the_hint(clients, fake):
    acr(
        fake,
        "/acr/v1/apex-backend/_tags/v9.9.9",
        (404, {"errors": [{"code": "TAG_UNKNOWN", "message": "the specified tag does not exist"}]}, {}),
    )
    acr(fake, "/acr/v1/apex-backend/_tags", ok(example_body("containerregistry/GetTagList.json")))
    with pytest.raises(NotFoundError, match="TAG_UNKNOWN") as err:
        AzureRegistry(clients).get_tag("apex-backend", "v9.9.9")
    assert "4.7.2-20180906-nanoserver-1803" in err.value.hint


def test_registry_access_denied_names_the_acrpull_role(clients, fake):
    acr(
        fake,
        "/acr/v1/apex-backend/_tags",
        (403, {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]}, {}),
    )
    with pytest.raises(AuthorizationError) as err:
        AzureRegistry(clients).list_tags("apex-backend")
    assert "AcrPull" in err.value.hint and "az role assignment list" in err.value.hint


@pytest.mark.parametrize(
    ("claims", "kind", "name"),
    [
        ({"upn": "oncall@contoso.example", "idtyp": "user", "tid": "t1"}, "user", "oncall@contoso.example"),
        ({"appid": "0000-app", "idtyp": "app", "tid": "t1"}, "service_principal", "0000-app"),
        (
            {
                "appid": "0000-mi",
                "tid": "t1",
                "xms_mirid": "/subscriptions/s/resourcegroups/rg/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/apex-ops-mi",
            },
            "managed_identity",
            "apex-ops-mi (appid 0000-mi)",
        ),
    ],
)
def test_whoami_reads_the_token_claims(clients, credential, claims, kind, name):
    credential.claims = claims
    who = AzureIdentity(clients).whoami()
    assert (who.kind, who.name, who.tenant_id, who.source) == (kind, name, "t1", "FakeCredential")
    assert credential.scopes == ["https://management.azure.com/.default"]
    assert_plain(who)


def test_api_token_is_an_unprintable_access_token_for_the_api_audience(clients, credential, monkeypatch):
    token = AzureIdentity(clients).api_token("api://11111111-2222-3333-4444-555555555555")
    assert isinstance(token, AccessToken)
    assert credential.scopes == ["api://11111111-2222-3333-4444-555555555555/.default"]
    assert token.audience == "api://11111111-2222-3333-4444-555555555555"
    raw = token.authorization_header()["Authorization"].removeprefix("Bearer ")
    assert raw not in repr(token) and raw not in str(token) and "hidden" in repr(token)
    assert token.expires_at is not None and token.expires_at.tzinfo is not None


def test_api_token_refuses_a_placeholder_audience(clients, credential):
    with pytest.raises(ConfigError) as err:
        AzureIdentity(clients).api_token(clients.settings.api_audience)  # AZURE_AD_CLIENT_ID unset here
    assert "AZURE_AD_CLIENT_ID" in err.value.hint
    assert credential.scopes == []


def test_a_consent_error_hints_preauthorizing_the_cli(clients, credential):
    from azure.core.exceptions import ClientAuthenticationError

    credential.error = ClientAuthenticationError("AADSTS65001: The user or administrator has not consented")
    with pytest.raises(AuthenticationError) as err:
        AzureIdentity(clients).api_token("api://apex")
    assert "04b07795-8ddb-461a-bbee-02f9e1bf7b46" in err.value.hint


def test_blob_store_lists_containers_and_checks_blobs_with_azure_ad(clients, fake, credential):
    fake.on("GET", "/", ok(CONTAINERS_XML))
    fake.on(
        "HEAD",
        "/uploads/smoke/smoke-test.pdf",
        (
            200,
            None,
            {
                "Content-Length": "12",
                "x-ms-blob-type": "BlockBlob",
                "Last-Modified": "Wed, 26 Oct 2022 20:39:39 GMT",
            },
        ),
    )
    fake.on("HEAD", "/uploads/missing.pdf", (404, None, {"x-ms-error-code": "BlobNotFound"}))
    store = AzureBlobStore(clients)
    assert [c.name for c in store.list_containers()] == ["processed", "uploads"]
    assert store.blob_exists("uploads", "smoke/smoke-test.pdf") is True
    assert store.blob_exists("uploads", "missing.pdf") is False
    assert fake.requests[0].url == "https://stapexprod.blob.core.windows.net/?comp=list&include="
    assert fake.requests[0].headers["Authorization"].startswith("Bearer ")
    assert "https://storage.azure.com/.default" in credential.scopes


def test_blob_store_failures_name_the_storage_role_or_the_private_endpoint(clients, fake):
    from azure.core.exceptions import ServiceRequestError

    fake.on("HEAD", "/uploads/x", (403, None, {"x-ms-error-code": "AuthorizationPermissionMismatch"}))
    with pytest.raises(AuthorizationError) as err:
        AzureBlobStore(clients).blob_exists("uploads", "x")
    assert "Storage Blob Data" in err.value.hint and "stapexprod" in err.value.hint

    def unreachable(_):
        raise ServiceRequestError("Name or service not known")

    fake.on("GET", "/", unreachable)
    with pytest.raises(TargetUnavailableError) as err:
        AzureBlobStore(clients).list_containers()
    assert "private endpoint" in err.value.hint and "jump box" in err.value.hint


def test_database_info_needs_no_credentials_and_engine_needs_pyodbc(clients, credential, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyodbc", None)  # as on this machine: the mssql extra is not installed
    db = AzureDatabase(clients)
    info = db.info()
    assert (info.dialect, info.server, info.database, info.driver) == (
        "mssql",
        "sql-apex-prod.database.windows.net",
        "apex-db-prod",
        "ODBC Driver 18 for SQL Server",
    )
    assert credential.scopes == []
    with pytest.raises(ConfigError, match="pyodbc") as err:
        db.engine()
    assert "apexops[mssql]" in err.value.hint and "ODBC Driver 18" in err.value.hint


def _fake_pyodbc(drivers: list[str], calls: list) -> types.ModuleType:
    mod = types.ModuleType("pyodbc")

    class Error(Exception):
        pass

    def connect(*args, **kwargs):
        calls.append((args, kwargs))
        raise Error("08001", "[fake] stop after the connect arguments were captured")

    mod.drivers, mod.connect, mod.Error, mod.paramstyle, mod.version = (
        (lambda: drivers),
        connect,
        Error,
        "qmark",
        "5.1",
    )
    mod.Cursor = type("Cursor", (), {"nextset": lambda self: None})
    for name in (
        "DatabaseError",
        "OperationalError",
        "InterfaceError",
        "ProgrammingError",
        "IntegrityError",
        "DataError",
        "NotSupportedError",
        "InternalError",
        "Warning",
    ):
        setattr(mod, name, Error)
    return mod


def test_missing_odbc_driver_is_a_config_error_listing_what_is_installed(clients, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyodbc", _fake_pyodbc(["FreeTDS"], []))
    with pytest.raises(ConfigError, match="not installed \\(installed: FreeTDS\\)"):
        AzureDatabase(clients).engine()


def test_engine_hands_a_fresh_azure_ad_token_to_the_driver_not_the_connection_string(
    clients, credential, monkeypatch
):
    calls: list = []
    monkeypatch.setitem(sys.modules, "pyodbc", _fake_pyodbc(["ODBC Driver 18 for SQL Server"], calls))
    engine = AzureDatabase(clients).engine()
    assert credential.scopes == []  # nothing is fetched until a connection is opened
    with pytest.raises(Exception, match="stop after"):
        engine.connect()
    ((args, kwargs),) = calls
    conn_str = args[0]
    assert "Server=tcp:sql-apex-prod.database.windows.net,1433" in conn_str and "Encrypt=yes" in conn_str
    assert "Driver={ODBC Driver 18 for SQL Server}" in conn_str and "PWD" not in conn_str.upper()
    assert credential.scopes == ["https://database.windows.net/.default"]
    packed = kwargs["attrs_before"][SQL_COPT_SS_ACCESS_TOKEN]
    (length,) = struct.unpack("<I", packed[:4])
    token = packed[4:].decode("utf-16-le")
    assert length == len(packed) - 4 and token.count(".") == 2 and token not in conn_str


def test_token_struct_is_length_prefixed_utf16le():
    assert token_struct("ab") == b"\x04\x00\x00\x00a\x00b\x00"


def test_a_storage_server_error_is_a_target_error(clients, fake):
    fake.on("GET", "/", arm_error(500, "InternalError", "server busy"))
    with pytest.raises(TargetError, match="server busy") as err:
        AzureBlobStore(clients).list_containers()
    assert type(err.value) is TargetError and "retry" in err.value.hint
