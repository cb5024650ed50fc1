"""Procedure 00: are the runbook's prerequisites in place for this environment?

The runbook opens with "Azure CLI installed and authenticated, access to the subscription and the resource
group, a database client". Here each prerequisite is one small check returning a `CheckResult` (PASS, FAIL,
WARN or SKIPPED, a detail, a hint to the fix); checks that need the target go through the Environment's
ports, so the same code checks the sandbox and Azure. A check never raises: an error becomes a FAIL with
the error's hint.

Required vs optional: a FAIL of a required check fails the run (the verdict is FAIL). Tools that apexops
does not need itself (az CLI, sqlcmd: only for the runbook's manual commands) are WARN when missing. On
`local` a sandbox that is not running but can start is a WARN (`apexops sandbox up`, or any rehearsal,
starts it); `require_sandbox=True` turns that into a FAIL for runs that need it up right now. A sandbox that
cannot start (its code missing, its port taken, its folder not writable) is a FAIL.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.settings import Settings

__all__ = ["CheckResult", "Preflight", "PreflightFailed", "Verdict"]

PASS, FAIL, WARN, SKIPPED = "PASS", "FAIL", "WARN", "SKIPPED"
_PACKAGES = ("papermill", "nbconvert", "nbformat", "ipykernel", "alembic", "sqlalchemy", "plotly", "httpx")


class PreflightFailed(ApexopsError):
    """A required prerequisite is missing; the verdict lists which and how to fix each."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # PASS | FAIL | WARN | SKIPPED
    detail: str
    hint: str = ""
    required: bool = True


@dataclass(frozen=True)
class Verdict:
    """PASS (ready), WARN (ready, with things to look at) or FAIL (a required check failed)."""

    status: str
    reasons: tuple[str, ...]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


class Preflight:
    """The checks of one environment; each step method runs a group and returns its results."""

    def __init__(
        self,
        settings: Settings,
        *,
        require_sandbox: bool = False,
        which: Callable[[str], str | None] = shutil.which,
        environment: Environment | None = None,
    ) -> None:
        self.settings = settings
        self.require_sandbox = require_sandbox
        self.which = which
        self._environment = environment
        self._environment_error: BaseException | None = None
        self._sandbox_running: bool | None = None
        self.results: list[CheckResult] = []

    @property
    def is_sandbox(self) -> bool:
        return self.settings.target == "sandbox"

    # ------------------------------------------------------------------ plumbing

    def _env(self) -> Environment:
        if self._environment is None:
            if self._environment_error is not None:
                raise self._environment_error
            from apexops.environment import connect

            try:
                self._environment = connect(self.settings.environment, settings=self.settings)
            except (ImportError, ApexopsError) as exc:
                self._environment_error = exc
                raise
        return self._environment

    def _keep(self, results: Sequence[CheckResult]) -> list[CheckResult]:
        names = {r.name for r in results}
        self.results = [r for r in self.results if r.name not in names] + list(results)
        return list(results)

    @staticmethod
    def _guard(name: str, required: bool, func: Callable[[], CheckResult]) -> CheckResult:
        try:
            return func()
        except ApexopsError as exc:
            return CheckResult(name, FAIL, exc.message, exc.hint or "", required)
        except ImportError as exc:
            return CheckResult(
                name, FAIL, f"{exc.name or exc} is not installed", "pip install -e '.[dev]'", required
            )
        except Exception as exc:
            return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}", "", required)

    # ------------------------------------------------------------------ step 1: tools and packages

    def tools(self) -> list[CheckResult]:
        """Parameters file, Python, packages, the notebook kernel, and the runbook's CLI tools."""
        s = self.settings
        out = [
            CheckResult(
                "parameters",
                PASS,
                f"{s.source or s.environment}: target {s.target}, app {s.app.name}, "
                f"resource group {s.azure.resource_group}",
            ),
            self._guard("python", True, self._python),
            self._guard("packages", True, self._packages),
            self._guard("notebook kernel", True, self._kernel),
            self._tool("az CLI", "az", "install it: https://learn.microsoft.com/cli/azure/install-azure-cli"),
            self._tool(
                "sqlcmd",
                "sqlcmd",
                "install mssql-tools18 (https://learn.microsoft.com/sql/linux/sql-server-linux-setup-tools)",
            ),
        ]
        return self._keep(out)

    def _python(self) -> CheckResult:
        ok = sys.version_info >= (3, 11)
        detail = f"Python {sys.version.split()[0]} ({sys.executable})"
        return CheckResult("python", PASS if ok else FAIL, detail, "" if ok else "use Python 3.11 or newer")

    def _packages(self) -> CheckResult:
        missing = [p for p in _PACKAGES if importlib.util.find_spec(p) is None]
        if missing:
            return CheckResult(
                "packages", FAIL, f"missing: {', '.join(missing)}", "pip install -e '.[dev]' in the venv"
            )
        return CheckResult("packages", PASS, ", ".join(f"{p} {_version(p)}" for p in _PACKAGES[:4]) + ", …")

    def _kernel(self) -> CheckResult:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            spec = KernelSpecManager().get_kernel_spec("python3")
        except NoSuchKernel:
            return CheckResult(
                "notebook kernel", FAIL, "no 'python3' kernel", "python -m ipykernel install --sys-prefix"
            )
        exe = spec.argv[0] if spec.argv else "?"
        # jupyter_client runs a bare "python" with the interpreter that starts the kernel
        resolved = sys.executable if exe in ("python", "python3") else exe
        return CheckResult("notebook kernel", PASS, f"python3 -> {resolved}")

    def _tool(self, name: str, command: str, hint: str) -> CheckResult:
        path = self.which(command)
        if path:
            return CheckResult(name, PASS, path, required=False)
        if self.is_sandbox:
            return CheckResult(name, SKIPPED, "not installed; not needed for the sandbox", required=False)
        return CheckResult(
            name, WARN, "not installed; apexops uses the SDKs, the runbook's manual commands need it",
            hint, required=False,
        )  # fmt: skip

    # ------------------------------------------------------------------ step 2: target reachable

    def target(self) -> list[CheckResult]:
        """Sandbox: running, or able to start. Azure: the subscription and the resource group."""
        if self.is_sandbox:
            return self._keep([self._guard("sandbox", True, self._sandbox)])
        subscription = self._guard("subscription", True, self._subscription)
        if subscription.status == PASS:
            group = self._guard("resource group", True, self._resource_group)
        else:
            group = CheckResult("resource group", SKIPPED, "needs the subscription", required=True)
        return self._keep([subscription, group])

    def _sandbox(self) -> CheckResult:
        try:
            from apexops.sandbox import lifecycle
        except ImportError as exc:
            return CheckResult(
                "sandbox",
                FAIL,
                f"the sandbox cannot start: apexops.sandbox.lifecycle is not available ({exc})",
                "reinstall apexops (pip install -e '.[dev]')",
            )
        probe = lifecycle.probe(self.settings)
        self._sandbox_running = bool(probe.running)
        if probe.running:
            return CheckResult("sandbox", PASS, probe.detail)
        blocker = self._sandbox_blocker()
        if blocker:
            return CheckResult("sandbox", FAIL, f"{probe.detail}; cannot start: {blocker[0]}", blocker[1])
        status = FAIL if self.require_sandbox else WARN
        return CheckResult("sandbox", status, f"{probe.detail}; it can start", "start it: apexops sandbox up")

    def _sandbox_blocker(self) -> tuple[str, str] | None:
        port = self.settings.sandbox_ingress_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return (
                    f"port {port} is in use by another program",
                    "free it, or set APEXOPS_SANDBOX_PORT / sandbox.ingress_port in parameters/local.yaml",
                )
        home = self.settings.sandbox_home()
        existing = next((p for p in [home, *home.parents] if p.exists()), None)
        if existing is None or not os.access(existing, os.W_OK):
            return (f"{home} is not writable", "set APEXOPS_SANDBOX_HOME to a writable folder")
        return None

    def _subscription(self) -> CheckResult:
        var = self.settings.azure.subscription_id_env
        value = self.settings.reference(var)
        if not value:
            return CheckResult(
                "subscription",
                FAIL,
                f"${var} is not set",
                f"export {var}=$(az account show --query id -o tsv) after `az login`",
            )
        return CheckResult("subscription", PASS, f"${var} = {value}")

    def _resource_group(self) -> CheckResult:
        rg = self.settings.azure.resource_group
        resources = self._env().deployments.list_resources()
        expected = {r.name for r in self.settings.expected_resources}
        found = {r.name for r in resources}
        missing = sorted(expected - found)
        detail = f"{rg}: {len(resources)} resource(s) readable"
        if missing:
            return CheckResult(
                "resource group",
                WARN,
                f"{detail}; {len(missing)} expected resource(s) absent: {', '.join(missing[:5])}",
                "run 10-infrastructure to create or repair them",
            )
        return CheckResult("resource group", PASS, detail)

    # ------------------------------------------------------------------ step 3: identity

    def identity(self) -> list[CheckResult]:
        """Which identity acts (az login, managed identity, service principal, or the sandbox's own)."""
        if self.is_sandbox and not self._running():
            return self._keep(
                [CheckResult("identity", SKIPPED, "the sandbox identity is available once it runs",
                             "apexops sandbox up", required=self.require_sandbox)]
            )  # fmt: skip
        return self._keep([self._guard("identity", True, self._identity)])

    def _identity(self) -> CheckResult:
        who = self._env().identity.whoami()
        tenant = f", tenant {who.tenant_id}" if who.tenant_id else ""
        return CheckResult("identity", PASS, f"{who.name} ({who.kind}{tenant}) via {who.source or '?'}")

    def _running(self) -> bool:
        if self._sandbox_running is None:
            try:
                from apexops.sandbox import lifecycle

                self._sandbox_running = bool(lifecycle.probe(self.settings).running)
            except ImportError:
                self._sandbox_running = False
        return self._sandbox_running

    # ------------------------------------------------------------------ step 4: database

    def database(self) -> list[CheckResult]:
        """The driver and connection settings; the connection itself when the target is reachable."""
        if self.is_sandbox:
            out = [self._guard("database settings", True, self._sandbox_db_settings)]
            if self._running():
                out.append(self._guard("database reachable", True, self._db_reachable))
            else:
                out.append(CheckResult("database reachable", SKIPPED, "the sandbox is not running",
                                       "apexops sandbox up", required=self.require_sandbox))  # fmt: skip
            return self._keep(out)
        out = [self._guard("database driver", True, self._azure_db_driver)]
        if out[0].status == PASS:
            out.append(self._guard("database reachable", True, self._db_reachable))
        else:
            out.append(CheckResult("database reachable", SKIPPED, "needs the driver", required=True))
        return self._keep(out)

    def _sandbox_db_settings(self) -> CheckResult:
        from sqlalchemy.engine import make_url

        url = make_url(self.settings.sandbox_database_url())
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite":
            return CheckResult("database settings", PASS, f"SQLite: {url.database}")
        if url.get_backend_name() == "postgresql" and importlib.util.find_spec("psycopg2") is None:
            return CheckResult("database settings", FAIL, f"{shown}: psycopg2 is not installed",
                               "pip install -e '.[dev]'")  # fmt: skip
        return CheckResult("database settings", PASS, shown)

    def _azure_db_driver(self) -> CheckResult:
        db = self.settings.database
        where = f"{db.server}/{db.name}"
        if db.auth == "url_env":
            var = db.url_env or "?"
            if not self.settings.reference(var):
                hint = f"export {var}=<SQLAlchemy URL> (a secret: never a parameter)"
                return CheckResult("database driver", FAIL, f"{where}: ${var} is not set", hint)
            return CheckResult("database driver", PASS, f"{where}: URL from ${var}")
        if importlib.util.find_spec("pyodbc") is None:
            return CheckResult(
                "database driver",
                FAIL,
                f"{where}: pyodbc is not installed",
                "pip install -e '.[mssql]' and install the Microsoft ODBC Driver 18 (msodbcsql18)",
            )
        import pyodbc

        drivers = pyodbc.drivers()
        if db.driver not in drivers:
            return CheckResult("database driver", FAIL, f"{where}: '{db.driver}' not found (have: "
                               f"{', '.join(drivers) or 'none'})", "install msodbcsql18")  # fmt: skip
        return CheckResult("database driver", PASS, f"{where}: {db.driver}, Azure AD token auth")

    def _db_reachable(self) -> CheckResult:
        from sqlalchemy import text

        database = self._env().database
        info = database.info()
        engine = database.engine()
        with engine.connect() as conn:
            try:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:
                version = None
        head = f"alembic revision {version}" if version else "no alembic revision yet"
        where = info.database or info.server
        return CheckResult("database reachable", PASS, f"{info.dialect} {where}: {head}")

    # ------------------------------------------------------------------ verdict

    def run_all(self) -> list[CheckResult]:
        for step in (self.tools, self.target, self.identity, self.database):
            step()
        return list(self.results)

    def verdict(self) -> Verdict:
        failed = [r for r in self.results if r.status == FAIL and r.required]
        attention = [r for r in self.results if r.status == WARN or (r.status == FAIL and not r.required)]
        reasons = [f"{r.name}: {r.detail}" + (f" (HINT: {r.hint})" if r.hint else "") for r in failed]
        reasons += [f"{r.name} ({r.status}): {r.detail}" + (f" (HINT: {r.hint})" if r.hint else "")
                    for r in attention]  # fmt: skip
        passed = sum(r.status == PASS for r in self.results)
        if failed:
            return Verdict(FAIL, (f"{len(failed)} required check(s) failed", *reasons))
        summary = f"{passed} of {len(self.results)} checks passed; no required check failed"
        return Verdict(WARN if attention else PASS, (summary, *reasons))

    def summary(self) -> dict[str, Any]:
        """For `apexops.record`: the verdict and every check's status."""
        return {"verdict": self.verdict().status, "checks": {r.name: r.status for r in self.results}}

    def raise_if_failed(self) -> None:
        verdict = self.verdict()
        if verdict.status == FAIL:
            failed = [r for r in self.results if r.status == FAIL and r.required]
            raise PreflightFailed(
                f"{len(failed)} required check(s) failed: {', '.join(r.name for r in failed)}.",
                hint="; ".join(f"{r.name}: {r.hint}" for r in failed if r.hint) or "see the table above.",
            )
        print(f"Preflight {verdict.status}: {verdict.reasons[0]}")
