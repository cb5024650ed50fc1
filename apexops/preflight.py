"""Procedure 00: are the runbook's prerequisites in place for this environment?

The runbook opens with "Azure CLI installed and authenticated, access to the subscription and the resource
group, a database client". Here each prerequisite is one small check returning a `CheckResult` (a `Status`,
a detail, a hint to the fix); checks that need the target go through the Environment's ports and traits,
so the same code checks the sandbox and Azure. A check never raises: an error becomes a FAIL with the
error's hint.

Required vs optional: a FAIL of a required check fails the run (the verdict is FAIL). Tools that apexops
does not need itself (az CLI, sqlcmd: only for the runbook's manual commands) are WARN when missing. A
target apexops starts itself (the sandbox, `Traits.started_by_apexops`) that is not running but can start
is a WARN (`apexops sandbox up`, or any rehearsal, starts it); `require_sandbox=True` turns that into a
FAIL for runs that need it up right now. One that cannot start (its port taken, its folder not writable) is
a FAIL. An always-on target (Azure) is checked through its subscription and resource group instead, and
through its recent telemetry: the canary judges requests per revision, so requests that carry no revision
(no revision dimension, a host name for role instance) would read as a canary without traffic.

The shared store (the deployment lock and the audit trail, `audit:` in the parameters file) is checked by
`shared_store()`: reachable (on the sandbox, its Azurite), and on an always-on target whether the audit
container keeps history from being rewritten: an immutability policy, a legal hold or version-level
immutability (Get Container Properties), or blob versioning (the head blob carries a version id). Neither
is a WARN: the ledger's chain then shows a rewrite but nothing keeps the previous bytes.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apexops.environment import Environment, connect
from apexops.errors import ApexopsError
from apexops.ports import Reachability, Traits
from apexops.settings import Settings
from apexops.status import Status, Verdict

__all__ = ["CheckResult", "Preflight", "PreflightFailed", "Verdict"]

_PROTECT_HINT = (
    "enable blob versioning on the audit account (az storage account blob-service-properties update "
    "--enable-versioning true), or a time-based retention policy with protected append writes on the "
    "container (az storage container immutability-policy create --allow-protected-append-writes true)"
)
_PACKAGES = ("papermill", "nbconvert", "nbformat", "ipykernel", "alembic", "sqlalchemy", "plotly", "httpx")


class PreflightFailed(ApexopsError):
    """A required prerequisite is missing; the verdict lists which and how to fix each."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    hint: str = ""
    required: bool = True


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
        self._reachability: Reachability | None = None
        self.results: list[CheckResult] = []

    # ------------------------------------------------------------------ plumbing

    def _env(self) -> Environment:
        """The wired environment (connecting contacts nothing; the adapters do, on first call)."""
        if self._environment is None:
            self._environment = connect(self.settings.environment, settings=self.settings)
        return self._environment

    @property
    def traits(self) -> Traits:
        return self._env().traits

    def _keep(self, results: Sequence[CheckResult]) -> list[CheckResult]:
        names = {r.name for r in results}
        self.results = [r for r in self.results if r.name not in names] + list(results)
        return list(results)

    @staticmethod
    def _guard(name: str, required: bool, func: Callable[[], CheckResult]) -> CheckResult:
        try:
            return func()
        except ApexopsError as exc:
            return CheckResult(name, Status.FAIL, exc.message, exc.hint or "", required)
        except ImportError as exc:
            return CheckResult(
                name, Status.FAIL, f"{exc.name or exc} is not installed", "pip install -e '.[dev]'", required
            )
        except Exception as exc:
            return CheckResult(name, Status.FAIL, f"{type(exc).__name__}: {exc}", "", required)

    # ------------------------------------------------------------------ step 1: tools and packages

    def tools(self) -> list[CheckResult]:
        """Parameters file, Python, packages, the notebook kernel, and the runbook's CLI tools."""
        s = self.settings
        where = f"{s.source or s.environment}: target {s.target}, app {s.app.name}, resource group "
        return self._keep([
            CheckResult("parameters", Status.PASS, where + s.azure.resource_group),
            self._guard("python", True, self._python),
            self._guard("packages", True, self._packages),
            self._guard("notebook kernel", True, self._kernel),
            self._tool("az CLI", "az", "install it: https://learn.microsoft.com/cli/azure/install-azure-cli"),
            self._tool("sqlcmd", "sqlcmd",
                       "install mssql-tools18 (https://learn.microsoft.com/sql/linux/sql-server-linux-setup-tools)"),
        ])  # fmt: skip

    def _python(self) -> CheckResult:
        ok = sys.version_info >= (3, 11)
        detail = f"Python {sys.version.split()[0]} ({sys.executable})"
        return CheckResult(
            "python", Status.PASS if ok else Status.FAIL, detail, "" if ok else "use Python 3.11 or newer"
        )

    def _packages(self) -> CheckResult:
        missing = [p for p in _PACKAGES if importlib.util.find_spec(p) is None]
        if missing:
            return CheckResult("packages", Status.FAIL, f"missing: {', '.join(missing)}",
                               "pip install -e '.[dev]' in the venv")
        found = ", ".join(f"{p} {_version(p)}" for p in _PACKAGES[:4])
        return CheckResult("packages", Status.PASS, found + ", …")

    def _kernel(self) -> CheckResult:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            spec = KernelSpecManager().get_kernel_spec("python3")
        except NoSuchKernel:
            hint = "python -m ipykernel install --sys-prefix"
            return CheckResult("notebook kernel", Status.FAIL, "no 'python3' kernel", hint)
        exe = spec.argv[0] if spec.argv else "?"
        # jupyter_client runs a bare "python" with the interpreter that starts the kernel
        resolved = sys.executable if exe in ("python", "python3") else exe
        return CheckResult("notebook kernel", Status.PASS, f"python3 -> {resolved}")

    def _tool(self, name: str, command: str, hint: str) -> CheckResult:
        path = self.which(command)
        if path:
            return CheckResult(name, Status.PASS, path, required=False)
        if not self.traits.has_subscription:
            detail = f"not installed; not needed for the {self.traits.name}"
            return CheckResult(name, Status.SKIPPED, detail, required=False)
        return CheckResult(
            name, Status.WARN, "not installed; apexops uses the SDKs, the runbook's manual commands need it",
            hint, required=False,
        )  # fmt: skip

    # ------------------------------------------------------------------ step 2: target reachable

    def target(self) -> list[CheckResult]:
        """A target apexops starts: running, or able to start. Else the subscription and resource group."""
        if self.traits.started_by_apexops:
            return self._keep([self._guard(self.traits.name, True, self._lifecycle)])
        subscription = self._guard("subscription", True, self._subscription)
        if subscription.status is not Status.PASS:
            group = CheckResult("resource group", Status.SKIPPED, "needs the subscription", required=True)
            return self._keep([subscription, group])
        group = self._guard("resource group", True, self._resource_group)
        revisions = self._guard("telemetry revisions", False, self._telemetry_revisions)
        return self._keep([subscription, group, revisions])

    def _reach(self) -> Reachability:
        if self._reachability is None:
            self._reachability = self._env().lifecycle.reachability()
        return self._reachability

    def _lifecycle(self) -> CheckResult:
        name, r = self.traits.name, self._reach()
        if r.running:
            return CheckResult(name, Status.PASS, r.detail)
        if r.blocker:
            return CheckResult(name, Status.FAIL, f"{r.detail}; cannot start: {r.blocker}", r.fix)
        status = Status.FAIL if self.require_sandbox else Status.WARN
        return CheckResult(name, status, f"{r.detail}; it can start", f"start it: {r.start}")

    def _not_running(self, name: str, detail: str) -> CheckResult | None:
        """A SKIPPED row for a check that needs a target apexops starts and that is not running."""
        if not self.traits.started_by_apexops:
            return None
        try:
            reach = self._reach()
        except ApexopsError:
            reach = Reachability(False, "", start="")
        if reach.running:
            return None
        return CheckResult(name, Status.SKIPPED, detail, reach.start, required=self.require_sandbox)

    def _subscription(self) -> CheckResult:
        var = self.settings.azure.subscription_id_env
        value = self.settings.reference(var)
        if not value:
            hint = f"export {var}=$(az account show --query id -o tsv) after `az login`"
            return CheckResult("subscription", Status.FAIL, f"${var} is not set", hint)
        return CheckResult("subscription", Status.PASS, f"${var} = {value}")

    def _resource_group(self) -> CheckResult:
        rg = self.settings.azure.resource_group
        resources = self._env().deployments.list_resources()
        expected = {r.name for r in self.settings.expected_resources}
        missing = sorted(expected - {r.name for r in resources})
        detail = f"{rg}: {len(resources)} resource(s) readable"
        if missing:
            absent = f"{len(missing)} expected resource(s) absent: {', '.join(missing[:5])}"
            return CheckResult("resource group", Status.WARN, f"{detail}; {absent}",
                               "run 10-infrastructure to create or repair them")
        return CheckResult("resource group", Status.PASS, detail)

    def _telemetry_revisions(self) -> CheckResult:
        """Do the last hour's requests of the app carry their revision? (Telemetry port, any revision)."""
        name, app = "telemetry revisions", self.settings.app.name
        dim = self.settings.monitoring.revision_dimension
        until = datetime.now(UTC)
        stats = self._env().telemetry.request_stats(until - timedelta(hours=1), until)
        total = sum(s.requests for s in stats.values())
        unattributed = sum(s.requests for rev, s in stats.items() if not rev)
        hint = (f"the app must report cloud_RoleName = {app} (OTEL_SERVICE_NAME) and the request attribute "
                f"'{dim}' from $CONTAINER_APP_REVISION (monitoring.revision_dimension); without it the "
                "canary counts no requests for either revision")
        if total == 0:
            return CheckResult(name, Status.WARN, f"no request of {app} in the last hour: the revision "
                               "dimension cannot be checked", hint, required=False)
        if unattributed:
            status = Status.FAIL if unattributed == total else Status.WARN
            detail = f"{unattributed} of {total} request(s) of {app} in the last hour carry no revision"
            return CheckResult(name, status, f"{detail} ('{dim}' dimension absent)", hint, required=False)
        named = sorted(rev for rev in stats if stats[rev].requests)
        return CheckResult(name, Status.PASS, f"{total} request(s) in the last hour, attributed to "
                           f"{len(named)} revision(s): {', '.join(named[:3])}", required=False)

    # ------------------------------------------------------------------ step 3: identity

    def identity(self) -> list[CheckResult]:
        """Which identity acts (az login, managed identity, service principal, or the sandbox's own)."""
        skipped = self._not_running("identity", f"the {self.traits.name} identity is available once it runs")
        return self._keep([skipped or self._guard("identity", True, self._identity)])

    def _identity(self) -> CheckResult:
        who = self._env().identity.whoami()
        tenant = f", tenant {who.tenant_id}" if who.tenant_id else ""
        return CheckResult("identity", Status.PASS,
                           f"{who.name} ({who.kind}{tenant}) via {who.source or '?'}")

    # ------------------------------------------------------------------ step 4: database

    def database(self) -> list[CheckResult]:
        """The driver and connection settings; the connection itself when the target is reachable."""
        client = self._guard("database client", True, self._client)
        reachable = self._not_running("database reachable", f"the {self.traits.name} is not running")
        if reachable is None and client.status is not Status.PASS:
            reachable = CheckResult("database reachable", Status.SKIPPED, "needs the driver", required=True)
        return self._keep([client, reachable or self._guard("database reachable", True, self._db_reachable)])

    def _client(self) -> CheckResult:
        c = self._env().database.client_check()
        return CheckResult(c.name, Status.PASS if c.ok else Status.FAIL, c.detail, c.hint)

    def _db_reachable(self) -> CheckResult:
        from sqlalchemy import text  # sqlalchemy stays out of `import apexops.preflight`

        database = self._env().database
        info = database.info()
        with database.engine().connect() as conn:
            try:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:
                version = None
        head = f"alembic revision {version}" if version else "no alembic revision yet"
        where = info.database or info.server
        return CheckResult("database reachable", Status.PASS, f"{info.dialect} {where}: {head}")

    # ------------------------------------------------------------------ step 5: the shared store

    def shared_store(self) -> list[CheckResult]:
        """The shared lock and audit trail: reachable; on an always-on target, protected against rewrites."""
        name = "shared store"
        reach = self._guard(name, self.settings.audit.required, self._store_reachable)
        if reach.status is Status.FAIL:  # a sandbox that is down: its store starts with it
            reach = self._not_running(name, f"the {self.traits.name}'s Azurite starts with it") or reach
        if not self.traits.has_subscription:  # a local emulator: nothing to protect
            return self._keep([reach])
        if reach.status is not Status.PASS:
            protection = CheckResult("audit protection", Status.SKIPPED, "needs the shared store", "", False)
        else:
            protection = self._guard("audit protection", False, self._audit_protection)
        return self._keep([reach, protection])

    def _shared_ledger(self) -> Any:
        from apexops.shared.publish import open_shared  # azure-storage-blob only for this step

        return open_shared(self._env().audit_storage, self.settings.audit.prefix, create=False)

    def _store_reachable(self) -> CheckResult:
        from azure.core.exceptions import ResourceNotFoundError  # lazy: azure-core only for this step

        name = "shared store"
        try:
            shared = self._shared_ledger()
        except ResourceNotFoundError:
            where = self._env().audit_storage.describe()
            return CheckResult(name, Status.WARN, f"{where}: the container does not exist yet (the first run "
                               "creates it, without protection)", _PROTECT_HINT, self.settings.audit.required)
        head = shared.head_properties()
        count = (head.metadata or {}).get("count") if head is not None else "0"
        runs = f"; {count} run(s) in its ledger" if count else ""
        return CheckResult(name, Status.PASS, f"{shared.where}: reachable{runs}")

    def _audit_protection(self) -> CheckResult:
        """Immutability (policy, legal hold, version-level) on the container, or versioning on the account."""
        name = "audit protection"
        shared = self._shared_ledger()
        props = shared.container.get_container_properties()
        policies = [
            label
            for label, on in (
                ("a time-based immutability policy", props.has_immutability_policy),
                ("a legal hold", props.has_legal_hold),
                ("version-level immutability", props.immutable_storage_with_versioning_enabled),
            )
            if on
        ]
        head = shared.head_properties()
        versioned = None if head is None else getattr(head, "version_id", None) is not None
        if versioned:
            policies.append("blob versioning (an overwritten or deleted ledger keeps its previous version)")
        if policies:
            return CheckResult(name, Status.PASS, f"{shared.where}: " + "; ".join(policies), required=False)
        unknown = " (versioning unknown until the first run is published)" if versioned is None else ""
        detail = f"{shared.where}: no immutability policy, legal hold or versioning{unknown}"
        return CheckResult(name, Status.WARN, detail, _PROTECT_HINT, required=False)

    # ------------------------------------------------------------------ verdict

    def verdict(self) -> Verdict:
        """FAIL when a required check failed; WARN when something needs a look; PASS otherwise."""
        failed = [r for r in self.results if r.status.failed and r.required]
        attention = [
            r for r in self.results if r.status is Status.WARN or (r.status.failed and not r.required)
        ]
        reasons = [f"{r.name}: {r.detail}" + (f" (HINT: {r.hint})" if r.hint else "") for r in failed]
        reasons += [f"{r.name} ({r.status}): {r.detail}" + (f" (HINT: {r.hint})" if r.hint else "")
                    for r in attention]  # fmt: skip
        hint = "; ".join(f"{r.name}: {r.hint}" for r in failed if r.hint) or "see the table above."
        if failed:
            head = f"{len(failed)} required check(s) failed"
            return Verdict(Status.FAIL, (head, *reasons), hint=hint, error=PreflightFailed)
        passed = sum(r.status is Status.PASS for r in self.results)
        summary = f"{passed} of {len(self.results)} checks passed; no required check failed"
        return Verdict(Status.WARN if attention else Status.PASS, (summary, *reasons))

    def facts(self) -> dict[str, Any]:
        """What the ledger records of this run: the verdict and every check's status (JSON-safe)."""
        checks = {r.name: str(r.status) for r in self.results}
        return {"preflight": {"verdict": str(self.verdict().status), "checks": checks}}
