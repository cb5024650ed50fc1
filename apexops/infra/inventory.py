"""Steps 5 and 6 of the runbook's infrastructure procedure as checks: the outputs and the inventory.

`az resource list` names a database `sql-apex-prod/apex-db-prod` while the runbook (and
`expected_resources`) call it `apex-db-prod`, so resources are matched by the last segment of the name and
the type, case-insensitively (ARM types are case-insensitive). Missing resources and resources whose
provisioning did not succeed fail the check; resources the list does not expect are shown, not failed
(a resource group often holds more than one template's resources).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

from apexops.models import ResourceInfo
from apexops.status import Status, worst

__all__ = ["OUTPUT_LABELS", "Inventory", "OutputsCheck", "check_outputs", "compare_inventory", "resource_key"]

_OK_STATES = {"succeeded"}
_BAD_STATES = {"failed", "canceled"}


class _Expected(Protocol):
    name: str
    type: str


def resource_key(name: str, rtype: str) -> tuple[str, str]:
    """(last name segment, type), lowercase: `sql-apex-prod/apex-db-prod` -> (`apex-db-prod`, ...)."""
    return name.split("/")[-1].lower(), rtype.lower()


@dataclass(frozen=True)
class Inventory:
    rows_: tuple[dict[str, Any], ...]
    missing: tuple[str, ...]
    not_succeeded: tuple[str, ...]
    extra: tuple[str, ...]
    expected_count: int
    present_count: int

    @property
    def verdict(self) -> Status:
        """The worst row: a missing or failed resource FAILs, one still provisioning WARNs."""
        return worst([Status.PASS, *(r["status"] for r in self.rows_)])

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows_]

    def summary(self) -> str:
        text = f"{self.present_count}/{self.expected_count} expected resources present"
        if self.missing:
            text += f"; MISSING: {', '.join(self.missing)}"
        if self.not_succeeded:
            text += f"; not Succeeded: {', '.join(self.not_succeeded)}"
        if self.extra:
            text += f"; {len(self.extra)} not in expected_resources"
        return text

    def facts(self) -> dict[str, Any]:
        return {
            "inventory_verdict": str(self.verdict),
            "inventory_missing": list(self.missing),
            "inventory_not_succeeded": list(self.not_succeeded),
            "inventory_extra": list(self.extra),
        }


def _state(state: str) -> tuple[Status, str]:
    """A found resource's provisioning state judged, with the note its row shows."""
    if state.lower() in _OK_STATES:
        return Status.PASS, ""
    if state.lower() in _BAD_STATES:
        return Status.FAIL, f"provisioning {state}"
    return Status.WARN, f"provisioning {state or 'unknown'}"


_COLUMNS = ("status", "expected", "type", "found as", "provisioning", "note")


def _row(*values: Any) -> dict[str, Any]:
    return dict(zip(_COLUMNS, values, strict=True))


def compare_inventory(expected: Sequence[_Expected], actual: Sequence[ResourceInfo]) -> Inventory:
    """Every expected resource found (by last name segment + type) and Succeeded; extras listed."""
    by_key: dict[tuple[str, str], list[ResourceInfo]] = {}
    for res in actual:
        by_key.setdefault(resource_key(res.name, res.type), []).append(res)
    rows: list[dict[str, Any]] = []
    missing, not_ok = [], []
    for exp in expected:
        found = by_key.get(resource_key(exp.name, exp.type), [])
        if not found:
            missing.append(exp.name)
            rows.append(_row(Status.FAIL, exp.name, exp.type, "", "", "missing from the resource group"))
        for res in found:
            state = res.provisioning_state or ""
            status, note = _state(state)
            if status is not Status.PASS:
                not_ok.append(res.name)
            if len(found) > 1:
                note = (note + "; " if note else "") + f"{len(found)} resources share this name and type"
            rows.append(_row(status, exp.name, exp.type, res.name, state, note))
    seen = {resource_key(e.name, e.type) for e in expected}
    extra = [res for key, resources in by_key.items() if key not in seen for res in resources]
    rows += [
        _row(Status.INFO, "", r.type, r.name, r.provisioning_state, "not in expected_resources")
        for r in extra
    ]
    present = sum(1 for e in expected if by_key.get(resource_key(e.name, e.type)))
    return Inventory(
        tuple(rows), tuple(missing), tuple(not_ok), tuple(r.name for r in extra), len(expected), present
    )


#: the template outputs the runbook's step 5 lists, with its labels
OUTPUT_LABELS: tuple[tuple[str, str], ...] = (
    ("containerAppFqdn", "Container Apps FQDN"),
    ("sqlServerFqdn", "SQL Server FQDN"),
    ("storageAccountName", "Storage Account"),
    ("keyVaultUri", "Key Vault URI"),
    ("appInsightsId", "Application Insights ID"),
)


@dataclass(frozen=True)
class OutputsCheck:
    deployment: str
    provisioning_state: str
    rows_: tuple[dict[str, Any], ...]
    outputs: Mapping[str, Any]

    @property
    def verdict(self) -> Status:
        return worst(r["status"] for r in self.rows_)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows_]

    def facts(self) -> dict[str, Any]:
        outputs = {k: self.outputs.get(k) for k, _ in OUTPUT_LABELS}
        return {"outputs": outputs, "outputs_verdict": str(self.verdict)}


def _host(value: str) -> str:
    text = str(value or "")
    return (urlparse(text).netloc if "://" in text else text).strip("/").lower()


def check_outputs(
    outputs: Mapping[str, Any],
    *,
    deployment: str,
    provisioning_state: str,
    storage_account: str,
    key_vault: str,
    sql_server: str | None,
    app_url: str | None = None,
) -> OutputsCheck:
    """The five outputs present, and each consistent with the parameters file (and the app's URL)."""
    rows = []
    for key, label in OUTPUT_LABELS:
        value = outputs.get(key)
        status, note = Status.PASS, ""
        if value in (None, ""):
            status, note = Status.FAIL, "output missing or empty"
        elif key == "containerAppFqdn" and app_url and _host(value) != _host(app_url):
            status, note = Status.WARN, f"the app reports {app_url}"
        elif key == "storageAccountName" and str(value) != storage_account:
            status, note = Status.FAIL, f"parameters file says {storage_account}"
        elif key == "keyVaultUri" and key_vault.lower() not in str(value).lower():
            status, note = Status.FAIL, f"does not name {key_vault}"
        elif key == "sqlServerFqdn" and sql_server and not str(value).lower().startswith(sql_server.lower()):
            status, note = Status.FAIL, f"does not start with {sql_server}"
        rows.append({"status": status, "output": label, "name": key, "value": value, "note": note})
    return OutputsCheck(deployment, provisioning_state, tuple(rows), dict(outputs))
