"""Steps no port covers (private endpoints, NSG rules, role assignments, DNS from the container, service
states of SQL and storage, Application Insights queries by hand): the exact `az` commands, marked MANUAL.

They are pure functions of Settings, so the sandbox and Azure show the same text. A row is SKIPPED (apexops
did nothing) and run MANUAL: it says what to run and what the runbook expects to see; apexops never reports
such a step as passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.azcli import Option, Shell, _opt, render
from apexops.status import Status
from apexops.troubleshoot.execs import MANUAL

if TYPE_CHECKING:
    from apexops.ports import Traits
    from apexops.settings import Settings

__all__ = [
    "KQL",
    "ManualStep",
    "app_insights_query",
    "blob_manual_steps",
    "database_manual_steps",
    "outage_manual_steps",
    "recovery_commands",
    "sql_server",
]

#: the runbook's three Application Insights queries (last hour), with the window as a placeholder
KQL = {
    "error_rate": (
        "requests\n| where timestamp > ago({window})\n"
        "| summarize ErrorCount = countif(success == false), TotalCount = count()\n"
        "| extend ErrorRate = ErrorCount * 100.0 / TotalCount"
    ),
    "slowest": (
        "requests\n| where timestamp > ago({window})\n| top 10 by duration desc\n"
        "| project timestamp, name, duration, resultCode, url"
    ),
    "exceptions": (
        "exceptions\n| where timestamp > ago({window})\n"
        "| project timestamp, type, outerMessage, problemId\n| order by timestamp desc"
    ),
}


@dataclass(frozen=True)
class ManualStep:
    check: str
    expected: str
    command: str
    why_manual: str = "no apexops port covers it"

    def row(self, traits: Traits) -> dict[str, Any]:
        """The table row; on a target without a subscription the step says what that target lacks."""
        note = self.why_manual
        if not traits.has_subscription:
            note = f"not on the {traits.name}: it has no {self.why_manual}"
        return {"status": Status.SKIPPED, "run": MANUAL, "check": self.check, "expected": self.expected,
                "note": note}  # fmt: skip


def _rg(settings: Settings) -> Option:
    return _opt("--resource-group", settings.azure.resource_group)


def _scope(settings: Settings, provider: str) -> Shell:
    return Shell(
        f"/subscriptions/${settings.azure.subscription_id_env}/resourceGroups/"
        f"{settings.azure.resource_group}/providers/{provider}"
    )


_PRINCIPAL = Shell(
    "$(az containerapp show --name {app} --resource-group {rg} --query identity.principalId -o tsv)"
)


def _principal(settings: Settings) -> Shell:
    return Shell(_PRINCIPAL.text.format(app=settings.app.name, rg=settings.azure.resource_group))


_PE_STATUS = "privateLinkServiceConnections[0].privateLinkServiceConnectionState.status"


def _pe_name(settings: Settings, short: str) -> str:
    want = f"pe-{short}-"
    found = [
        r.name
        for r in settings.expected_resources
        if r.type == "Microsoft.Network/privateEndpoints" and r.name.startswith(want)
    ]
    return found[0] if found else f"pe-{short}-apex-{settings.environment}"


def _pe_step(settings: Settings, short: str) -> ManualStep:
    cmd = render(
        ["az", "network", "private-endpoint", "show"],
        [_opt("--name", _pe_name(settings, short)), _rg(settings), _opt("--query", _PE_STATUS)],
    )
    return ManualStep(f"private endpoint {_pe_name(settings, short)}", '"Approved"', cmd, "private endpoints")


def _nsg_step(settings: Settings, nsg: str) -> ManualStep:
    opts = [_opt("--nsg-name", nsg), _rg(settings), _opt("--output", "table")]
    cmd = render(["az", "network", "nsg", "rule", "list"], opts)
    expected = "no new Deny rule above the Allow rules"
    return ManualStep(f"NSG rules of {nsg}", expected, cmd, "network security groups")


def _dns_step(settings: Settings, host: str) -> ManualStep:
    cmd = azcli.containerapp_exec(settings, f"nslookup {host}")
    return ManualStep(f"DNS of {host} from the container", "a private IP (10.0.x.x)", cmd,
                      "private DNS zones")


def _role_step(settings: Settings, provider: str, role: str) -> ManualStep:
    opts = [_opt("--assignee", _principal(settings)), _opt("--scope", _scope(settings, provider)),
            _opt("--query", "[].roleDefinitionName")]  # fmt: skip
    cmd = render(["az", "role", "assignment", "list"], opts)
    what = f"role assignments of the app's managed identity on {provider.rsplit('/', 1)[-1]}"
    return ManualStep(what, f'"{role}"', cmd, "Azure RBAC")


def sql_server(settings: Settings) -> str:
    """The Azure SQL server's name: the expected resource's, else the first label of the database host."""
    return next(
        (r.name for r in settings.expected_resources if r.type == "Microsoft.Sql/servers"),
        settings.database.server.split(".")[0],
    )


def outage_manual_steps(settings: Settings) -> list[ManualStep]:
    """Complete outage: the checks of the network path no port reads."""
    return [_pe_step(settings, s) for s in ("sql", "storage", "keyvault")] + [
        _nsg_step(settings, "container-apps-nsg"),
        _nsg_step(settings, "private-endpoint-nsg"),
    ]


def database_manual_steps(settings: Settings) -> list[ManualStep]:
    """Database connection failures: server state, private endpoint, DNS, the identity's role."""
    sql = sql_server(settings)
    host = settings.database.server if "." in settings.database.server else f"{sql}.database.windows.net"
    state = render(
        ["az", "sql", "server", "show"], [_opt("--name", sql), _rg(settings), _opt("--query", "state")]
    )
    return [
        ManualStep(f"SQL server {sql} state", '"Ready"', state, "Azure SQL server"),
        _pe_step(settings, "sql"),
        _dns_step(settings, host),
        _role_step(settings, f"Microsoft.Sql/servers/{sql}", "SQL DB Contributor"),
        _nsg_step(settings, "private-endpoint-nsg"),
    ]


def blob_manual_steps(settings: Settings) -> list[ManualStep]:
    """Blob storage access: account status, the identity's role, private endpoint, DNS."""
    acct = settings.storage.account
    status = render(
        ["az", "storage", "account", "show"],
        [_opt("--name", acct), _rg(settings), _opt("--query", "statusOfPrimary")],
    )
    return [
        ManualStep(f"storage account {acct} status", '"available"', status, "Azure storage account"),
        _role_step(settings, f"Microsoft.Storage/storageAccounts/{acct}", "Storage Blob Data Contributor"),
        _pe_step(settings, "storage"),
        _dns_step(settings, f"{acct}.blob.core.windows.net"),
    ]


def recovery_commands(settings: Settings, scenario: str) -> str:
    """The runbook's manual recovery actions for the dependency scenarios (shown, never run)."""
    if scenario == "database":
        sql = sql_server(settings)
        approve = render(
            ["az", "network", "private-endpoint", "connection", "approve"],
            [_opt("--id", "<connection-id>"), _opt("--description", "Emergency reconnection")],
        )
        return "\n".join([
            "# if the private endpoint is disconnected", approve, "# if the managed identity lost its role",
            _role_create(settings, "SQL DB Contributor", f"Microsoft.Sql/servers/{sql}"),
        ])  # fmt: skip
    if scenario == "blob":
        provider = f"Microsoft.Storage/storageAccounts/{settings.storage.account}"
        return "\n".join([
            "# re-assign Storage Blob Data Contributor to the app's managed identity",
            _role_create(settings, "Storage Blob Data Contributor", provider),
        ])  # fmt: skip
    return ""


def _role_create(settings: Settings, role: str, provider: str) -> str:
    opts = [_opt("--assignee", _principal(settings)), _opt("--role", role),
            _opt("--scope", _scope(settings, provider))]  # fmt: skip
    return render(["az", "role", "assignment", "create"], opts)


def app_insights_query(settings: Settings, name: str, *, window: str = "1h") -> str:
    """`az monitor app-insights query` with the runbook's KQL for `name` (error_rate/slowest/exceptions)."""
    kql = KQL[name].format(window=window)
    return render(
        ["az", "monitor", "app-insights", "query"],
        [_opt("--app", settings.app_insights.name), _rg(settings), _opt("--analytics-query", kql)],
    )
