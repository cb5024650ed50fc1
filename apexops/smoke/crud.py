"""Steps 4-6 of the smoke tests: project create and read, document upload and read, LLM validation.

Each returns a CheckResult (and the id it created, so the suite can clean it up); failures are data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apexops.smoke.calls import PROJECTS_PATH, Timer, call, guarded, unexpected
from apexops.smoke.results import CheckResult
from apexops.status import Status

if TYPE_CHECKING:
    import httpx

    from apexops.ports import BlobStore
    from apexops.tokens import AccessToken

__all__ = [
    "check_document_get",
    "check_document_upload",
    "check_llm_validation",
    "check_project_create",
    "check_project_get",
]


def _new_id(name: str, r: httpx.Response, ms: float, *, what: str, step: int) -> CheckResult | str:
    """The id a create call (steps 4 and 5) returned, or the FAIL that says why there is none."""
    if r.status_code not in (200, 201):
        return unexpected(name, r, ms, f"201 with the new {what}")
    data = r.json()
    new_id = data.get("id") if isinstance(data, dict) else None
    if new_id in (None, ""):
        done = "created" if step == 4 else "uploaded"
        hint = f"the API contract changed: compare with the runbook's step {step}"
        return CheckResult(name, Status.FAIL, ms, f"{done}, but the response has no id", hint)
    return str(new_id)


# --------------------------------------------------------------------------- step 4: project CRUD


def check_project_create(
    client: httpx.Client,
    token: AccessToken | None,
    *,
    project_number: str,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[CheckResult, str | None]:
    """POST /api/v1/projects/ with the runbook's test project; returns the new project's id."""
    name = "crud: create project"
    created: dict[str, Any] = {}
    payload = {
        "project_number": project_number,
        "project_name": "Smoke Test Project",
        "voltage_level": 345,
        "line_miles": 25.5,
        "terrain_type": "flat",
    }

    def body(timer: Timer) -> CheckResult:
        r = call(client, "POST", PROJECTS_PATH, token=token, json=payload)
        pid = _new_id(name, r, timer.ms, what="project", step=4)
        if isinstance(pid, CheckResult):
            return pid
        created["id"] = pid
        return CheckResult(
            name, Status.PASS, timer.ms, f"project {pid} ({project_number})", "", {"project_id": pid}
        )

    result = guarded(name, clock, f"POST {PROJECTS_PATH}", body)
    return result, created.get("id")


def check_project_get(
    client: httpx.Client,
    token: AccessToken | None,
    project_id: str,
    *,
    project_number: str,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """GET /api/v1/projects/{id}: the project read back, with the matching id and number."""
    name = "crud: get project"
    path = f"{PROJECTS_PATH}{project_id}"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "GET", path, token=token)
        if r.status_code != 200:
            return unexpected(name, r, timer.ms, "200 with the project")
        data = r.json()
        mismatches = []
        if str(data.get("id")) != project_id:
            mismatches.append(f"id {data.get('id')!r}")
        if data.get("project_number") != project_number:
            mismatches.append(f"project_number {data.get('project_number')!r}")
        if mismatches:
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                "read back a different project: " + ", ".join(mismatches),
                "the database returned another row: check the revision's database settings",
            )
        return CheckResult(
            name, Status.PASS, timer.ms, f"project {project_id} read back ({data.get('status', '')})"
        )

    return guarded(name, clock, f"GET {path}", body)


# --------------------------------------------------------------------------- step 5: document upload


def check_document_upload(
    client: httpx.Client,
    token: AccessToken | None,
    project_id: str,
    pdf: bytes,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[CheckResult, str | None]:
    """POST /api/v1/documents/upload (multipart: file, project_id, document_type=scope)."""
    name = "blob: upload document"
    created: dict[str, Any] = {}

    def body(timer: Timer) -> CheckResult:
        r = call(
            client,
            "POST",
            "/api/v1/documents/upload",
            token=token,
            files={"file": ("smoke-test.pdf", pdf, "application/pdf")},
            data={"project_id": project_id, "document_type": "scope"},
        )
        did = _new_id(name, r, timer.ms, what="document", step=5)
        if isinstance(did, CheckResult):
            return did
        created["id"] = did
        return CheckResult(
            name, Status.PASS, timer.ms, f"document {did} ({len(pdf)} bytes)", "", {"document_id": did}
        )

    result = guarded(name, clock, "POST /api/v1/documents/upload", body)
    return result, created.get("id")


def check_document_get(
    client: httpx.Client,
    token: AccessToken | None,
    document_id: str,
    *,
    blobs: BlobStore | None = None,
    container: str = "uploads",
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """GET /api/v1/documents/{id}: the document has a blob_path (and the blob exists, when checkable)."""
    name = "blob: get document"
    path = f"/api/v1/documents/{document_id}"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "GET", path, token=token)
        if r.status_code != 200:
            return unexpected(name, r, timer.ms, "200 with the document")
        data = r.json()
        blob_path = data.get("blob_path") if isinstance(data, dict) else None
        if not blob_path:
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                "the document has no blob_path",
                "the upload did not reach blob storage: run 70-emergency, blob section",
            )
        detail = f"blob_path {blob_path}"
        if blobs is not None:
            if not blobs.blob_exists(container, blob_path.removeprefix(f"{container}/")):
                return CheckResult(
                    name,
                    Status.FAIL,
                    timer.ms,
                    f"{detail}, but no such blob in {container!r}",
                    "the API recorded a blob that storage does not hold: run 70-emergency, blob section",
                )
            detail += f" (present in {container!r})"
        return CheckResult(name, Status.PASS, timer.ms, detail, "", {"blob_path": blob_path})

    return guarded(name, clock, f"GET {path}", body)


# --------------------------------------------------------------------------- step 6: LLM validation


def check_llm_validation(
    client: httpx.Client,
    token: AccessToken | None,
    document_id: str,
    *,
    timeout_s: float = 90.0,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """POST /api/v1/documents/{id}/validate → a completeness_score (may consume Azure OpenAI tokens)."""
    name = "llm: validate document"
    path = f"/api/v1/documents/{document_id}/validate"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "POST", path, token=token, timeout=timeout_s)
        if r.status_code != 200:
            return unexpected(name, r, timer.ms, "200 with a validation result")
        data = r.json()
        score = data.get("completeness_score") if isinstance(data, dict) else None
        if not isinstance(score, int | float) or isinstance(score, bool):
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                "no completeness_score in the validation result",
                "check the Azure OpenAI endpoint and deployment settings of the revision",
            )
        return CheckResult(
            name, Status.PASS, timer.ms, f"completeness_score {score}", "", {"completeness_score": score}
        )

    return guarded(name, clock, f"POST {path}", body)
