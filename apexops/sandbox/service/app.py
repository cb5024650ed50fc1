"""The APEX reference service: the API surface the runbook's smoke tests exercise, on real storage.

`create_app` builds the FastAPI app and wraps it in `ApexMiddleware` (headers, auth, faults, access log).
Database endpoints are plain `def` functions: FastAPI runs them in its thread pool, so a database that
blocks (a migration holding a lock) stalls those requests, not the health probes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

# azure-storage-blob at import time on purpose: the replica fork server preloads this module, so a forked
# replica reaches Azurite without paying the SDK's import on its way to ready
import azure.storage.blob  # noqa: F401
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from apexops.errors import InvalidRequestError, NotFoundError, TargetError
from apexops.sandbox.blobs import AzuriteBlobStore, split_blob_path
from apexops.sandbox.service import pdfcheck
from apexops.sandbox.service.config import ServiceConfig
from apexops.sandbox.service.db import Duplicate, Store
from apexops.sandbox.service.faults import FaultInjector
from apexops.sandbox.service.logs import problem_id
from apexops.sandbox.service.middleware import ApexMiddleware

__all__ = ["create_app"]

log = logging.getLogger("apex.app")

MAX_UPLOAD_BYTES = 25 * 1024 * 1024

Terrain = Literal["flat", "rolling", "mountainous", "urban", "wetland"]
DocumentType = Literal["scope", "drawing", "specification", "estimate", "contract", "report", "other"]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text255 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ProjectCreate(BaseModel):
    project_number: Text64
    project_name: Text255
    voltage_level: int = Field(gt=0, le=1500, description="kV")
    line_miles: float = Field(gt=0, le=10_000)
    terrain_type: Terrain


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _safe_filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rpartition("/")[2]
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip("._")
    return cleaned[:100] or "upload.bin"


def _warm_up() -> None:
    """Import PyJWT in the background after start-up, so readiness does not wait for `cryptography`."""
    import jwt  # noqa: F401


def create_app(config: ServiceConfig, key: bytes) -> ApexMiddleware:
    # the SDK logs every Blob Storage request and response at INFO: that is the SDK's debugging, not the app's
    logging.getLogger("azure").setLevel(logging.WARNING)
    store = Store(config.database_url)
    blobs = AzuriteBlobStore(config.blob_endpoint)  # Azurite through azure-storage-blob, as on Azure
    faults = FaultInjector(config.fault_profile, config.replica)
    profile = config.fault_profile

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for container in (config.uploads_container, config.processed_container):
            try:
                blobs.ensure_container(container)
            except TargetError as exc:  # readiness reports it; the process still starts, like Azure
                log.warning("cannot create blob container %s: %s", container, exc)
        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
        faults.started = faults.clock()
        log.info(
            "APEX %s started: revision %s, replica %s, image %s%s",
            config.version,
            config.revision,
            config.replica,
            config.image or "(none)",
            f", fault profile {profile.to_json()}" if not profile.is_healthy else "",
            extra={"event": "started", "version": config.version},
        )
        yield
        store.engine.dispose()
        log.info("APEX %s stopped", config.version, extra={"event": "stopped"})

    app = FastAPI(title="APEX (sandbox reference service)", version=config.version, lifespan=lifespan)

    async def unhandled(_request: Request, exc: Exception) -> JSONResponse:
        # Starlette answers with this, then re-raises: ApexMiddleware logs the exception line
        return JSONResponse(
            {"detail": "Internal Server Error", "problem_id": problem_id(exc)}, status_code=500
        )

    async def storage_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        message = exc.message if isinstance(exc, TargetError) else str(exc)
        return JSONResponse({"detail": f"blob storage unavailable: {message}"}, status_code=503)

    app.add_exception_handler(Exception, unhandled)
    app.add_exception_handler(TargetError, storage_unavailable)  # Azurite down: 503, as Azure answers

    # ------------------------------------------------------------------ health (no auth)

    @app.get("/health/live")
    async def live() -> dict[str, Any]:
        return {"status": "alive", "timestamp": _now()}

    @app.get("/health/ready")
    def ready() -> JSONResponse:
        database = store.check()
        if profile.readiness_fail:
            database = (
                "unhealthy: OperationalError: connection to the database timed out after 5 s "
                "(simulated by the image's fault profile)"
            )
        problem = blobs.check_reachable(config.uploads_container)
        checks = {"database": database, "blob_storage": f"unhealthy: {problem}" if problem else "healthy"}
        ok = all(v == "healthy" for v in checks.values())
        body = {
            "status": "ready" if ok else "not_ready",
            "checks": checks,
            "timestamp": _now(),
            "version": config.version,
            "revision": config.revision,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    # ------------------------------------------------------------------ projects

    @app.get("/api/v1/projects/")
    def list_projects(
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 10,
        include_archived: bool = False,
    ) -> dict[str, Any]:
        items, total = store.list_projects(page, page_size, include_archived)
        return {
            "items": items,
            "total": total,
            "page": page,
            "page_size": page_size,
            "has_next": page * page_size < total,
            "has_prev": page > 1,
        }

    @app.post("/api/v1/projects/", status_code=201)
    def create_project(body: ProjectCreate) -> dict[str, Any]:
        try:
            return store.create_project(body.model_dump())
        except Duplicate:
            raise HTTPException(409, f"project_number {body.project_number!r} already exists") from None

    @app.get("/api/v1/projects/{project_id}")
    def get_project(project_id: int) -> dict[str, Any]:
        project = store.get_project(project_id)
        if project is None:
            raise HTTPException(404, f"project {project_id} not found")
        return project

    @app.delete("/api/v1/projects/{project_id}")
    def delete_project(project_id: int) -> dict[str, Any]:
        """Soft delete: the project stays, with status ARCHIVED, and leaves the default listing."""
        if store.get_project(project_id) is None:
            raise HTTPException(404, f"project {project_id} not found")
        return store.archive_project(project_id) or {}

    # ------------------------------------------------------------------ documents

    @app.post("/api/v1/documents/upload", status_code=201)
    def upload_document(
        file: Annotated[UploadFile, File()],
        project_id: Annotated[int, Form()],
        document_type: Annotated[DocumentType, Form()],
    ) -> dict[str, Any]:
        project = store.get_project(project_id)
        if project is None:
            raise HTTPException(404, f"project {project_id} not found")
        if project["status"] == "ARCHIVED":
            raise HTTPException(409, f"project {project_id} is archived; documents cannot be added")
        data = file.file.read(MAX_UPLOAD_BYTES + 1)
        if not data:
            raise HTTPException(422, "file is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        filename = _safe_filename(file.filename)
        name = f"projects/{project_id}/{uuid.uuid4()}-{filename}"
        try:
            blob_path = blobs.put(config.uploads_container, name, data)
        except TargetError as exc:
            raise HTTPException(503, f"blob storage unavailable: {exc.message}") from None
        try:
            return store.create_document(
                {
                    "project_id": project_id,
                    "document_type": document_type,
                    "filename": filename,
                    "blob_path": blob_path,
                    "size_bytes": len(data),
                }
            )
        except Exception:
            with contextlib.suppress(TargetError):  # no orphan blob when the row cannot be written
                blobs.delete(config.uploads_container, name)
            raise

    def _document(document_id: int) -> dict[str, Any]:
        doc = store.get_document(document_id)
        if doc is None:
            raise HTTPException(404, f"document {document_id} not found")
        return doc

    def _blob_exists(blob_path: str) -> bool:
        try:
            return blobs.exists(*split_blob_path(blob_path))
        except InvalidRequestError:
            return False  # a row whose blob path could never be a blob

    @app.get("/api/v1/documents/{document_id}")
    def get_document(document_id: int) -> dict[str, Any]:
        doc = _document(document_id)
        return {**doc, "blob_exists": _blob_exists(doc["blob_path"])}

    @app.delete("/api/v1/documents/{document_id}")
    def delete_document(document_id: int) -> dict[str, Any]:
        """Deletes the blob and marks the row DELETED (kept for the audit trail; GET answers 404 after)."""
        doc = _document(document_id)
        try:
            removed = blobs.delete(*split_blob_path(doc["blob_path"]))
        except InvalidRequestError:
            removed = False
        if not removed:
            log.warning("document %s: blob %s was already absent", document_id, doc["blob_path"])
        store.set_document_status(document_id, "DELETED")
        return {
            "id": document_id,
            "status": "DELETED",
            "blob_path": doc["blob_path"],
            "blob_deleted": removed,
        }

    @app.post("/api/v1/documents/{document_id}/validate")
    def validate_document(document_id: int) -> dict[str, Any]:
        doc = _document(document_id)
        try:
            data = blobs.get(*split_blob_path(doc["blob_path"]))
        except (NotFoundError, InvalidRequestError):
            raise HTTPException(
                409, f"document {document_id}: blob {doc['blob_path']} is missing from storage"
            ) from None
        result = pdfcheck.assess(data)
        store.set_document_status(document_id, "VALIDATED")
        return {"document_id": document_id, **result, "validated_at": _now()}

    return ApexMiddleware(app, routes=app.router.routes, config=config, key=key, faults=faults)
