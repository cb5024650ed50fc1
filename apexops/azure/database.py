"""The Database port on Azure SQL: SQLAlchemy over pyodbc + ODBC Driver 18, authenticated by Azure AD.

No password exists anywhere: each new DBAPI connection gets a fresh Azure AD access token for
https://database.windows.net/ from the same credential as the other adapters, handed to the ODBC driver
as the pre-connect attribute SQL_COPT_SS_ACCESS_TOKEN (1256) — the token, UTF-16-LE encoded behind a
4-byte little-endian length — so it is never part of a connection string, a URL or a log line.

pyodbc is in the optional `mssql` extra and needs the Microsoft ODBC driver; both are checked only when an
engine is asked for, with the install steps in the hint. `info()` needs neither.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from apexops.azure._clients import AzureClients
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError
from apexops.models import DatabaseInfo
from apexops.ports import ClientCheck

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["SQL_COPT_SS_ACCESS_TOKEN", "SQL_SCOPE", "AzureDatabase", "odbc_connection_string", "token_struct"]

SQL_COPT_SS_ACCESS_TOKEN = 1256
SQL_SCOPE = "https://database.windows.net/.default"
DRIVER_DOCS = ("https://learn.microsoft.com/sql/connect/odbc/linux-mac/"
               "installing-the-microsoft-odbc-driver-for-sql-server")


def token_struct(token: str) -> bytes:
    """The ODBC access-token attribute: UTF-16-LE bytes behind their length (uint32, little endian)."""
    raw = token.encode("utf-16-le")
    return struct.pack(f"<I{len(raw)}s", len(raw), raw)


def odbc_connection_string(server: str, database: str, driver: str) -> str:
    """Encrypted, certificate-checked, no credentials (the token goes in attrs_before)."""
    return (f"Driver={{{driver}}};Server=tcp:{server},1433;Database={database};"
            "Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30")


def _require_pyodbc(driver: str) -> Any:
    hint = (f"pip install 'apexops[mssql]' and install the Microsoft '{driver}' (with unixODBC): "
            f"{DRIVER_DOCS}")
    try:
        import pyodbc
    except ImportError as exc:  # not installed, or libodbc missing underneath it
        raise ConfigError(f"pyodbc cannot be imported ({exc}); the Azure SQL database needs it.",
                          hint=hint) from None
    installed = list(pyodbc.drivers())
    if driver not in installed:
        listing = ", ".join(installed) or "none"
        raise ConfigError(f"ODBC driver '{driver}' is not installed (installed: {listing}).", hint=hint)
    return pyodbc


class AzureDatabase:
    """The APEX Azure SQL database, reached the way the runbook's jump box reaches it."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings
        self._engine: Engine | None = None

    def info(self) -> DatabaseInfo:
        db = self._s.database
        return DatabaseInfo(dialect="mssql", server=db.server, database=db.name, driver=db.driver)

    def client_check(self) -> ClientCheck:
        """The driver (pyodbc + the ODBC driver) or the URL variable; contacts nothing."""
        db = self._s.database
        where = f"{db.server}/{db.name}"
        if db.auth == "url_env":
            var = db.url_env or "?"
            if not self._s.reference(var):
                hint = f"export {var}=<SQLAlchemy URL> (a secret: never a parameter)"
                return ClientCheck("database driver", False, f"{where}: ${var} is not set", hint)
            return ClientCheck("database driver", True, f"{where}: URL from ${var}")
        try:
            _require_pyodbc(db.driver)
        except ConfigError as exc:
            return ClientCheck("database driver", False, f"{where}: {exc.message}", exc.hint or "")
        return ClientCheck("database driver", True, f"{where}: {db.driver}, Azure AD token auth")

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._build()
        return self._engine

    def _build(self) -> Engine:
        from sqlalchemy import URL, create_engine, event

        db = self._s.database
        if db.auth == "url_env":
            var = db.url_env or "database.url_env"
            url = self._s.reference(db.url_env or "")
            if not url:
                raise ConfigError(f"database.auth is url_env but {var} is not set.",
                                  hint=f"export {var}=<SQLAlchemy URL>, or use auth: azure_ad.")
            if url.startswith("mssql+pyodbc"):
                _require_pyodbc(db.driver)
            return create_engine(url, pool_pre_ping=True)
        if db.auth != "azure_ad":
            raise ConfigError(f"database.auth is {db.auth!r}, which the Azure target cannot use.",
                              hint="use auth: azure_ad (or url_env) in the parameters file.")
        _require_pyodbc(db.driver)
        url = URL.create("mssql+pyodbc",
                         query={"odbc_connect": odbc_connection_string(db.server, db.name, db.driver)})
        engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "do_connect", self._inject_token)
        return engine

    def _inject_token(self, dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        """SQLAlchemy `do_connect` hook: a fresh token for every new DBAPI connection."""
        with map_azure_errors("get an Azure SQL token", self._s, service="sql"):
            token = self._c.credential.get_token(SQL_SCOPE).token
        attrs = dict(cparams.get("attrs_before") or {})
        attrs[SQL_COPT_SS_ACCESS_TOKEN] = token_struct(token)
        cparams["attrs_before"] = attrs
