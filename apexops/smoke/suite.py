"""The smoke suite as a session a notebook steps through, with a cleanup that always runs.

Each step returns its CheckResults and never raises for a failed check, so a notebook walks every step,
reaches the cleanup cell and then the verdict cell, which fails the run on any FAIL. Steps that depend on
an earlier one (the project for the upload, a working token for everything authenticated) are reported
SKIPPED with the reason instead of piling up follow-on failures. What the suite created is tracked, so the
cleanup deletes exactly that; as a last resort it is also registered with `atexit` (the kernel shutting
down after an interrupted run still removes the test data).
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError
from apexops.scrubbed import write_scrubbed
from apexops.smoke import checks, crud
from apexops.smoke.cleanup import cleanup_document, cleanup_project
from apexops.smoke.pdf import minimal_pdf
from apexops.smoke.results import CheckResult, SmokeReport
from apexops.smoke.target import SmokeTarget, token_source
from apexops.status import Status, Verdict

if TYPE_CHECKING:
    import httpx

    from apexops.environment import Environment
    from apexops.ports import BlobStore
    from apexops.settings import Settings
    from apexops.tokens import AccessToken

__all__ = ["SmokeOptions", "SmokeSession"]


@dataclass(frozen=True)
class SmokeOptions:
    """How the suite runs; defaults come from `settings.smoke`, notebook parameters override them."""

    p95_ms: float = 500.0
    latency_requests: int = 100
    latency_concurrency: int = 4
    confidence: float = 0.95
    request_timeout_s: float = 30.0
    run_llm_validation: bool = False
    llm_timeout_s: float = 90.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SmokeOptions:
        """`settings.smoke` (every field of it is an option of the same name), then the overrides."""
        return cls(**{**settings.smoke.model_dump(), **overrides}).validated()

    def validated(self) -> SmokeOptions:
        """One clear line naming the parameter, before any request is sent."""
        if self.latency_requests < 1:
            raise ConfigError(
                f"latency_requests must be at least 1 (got {self.latency_requests}).",
                hint="use the default 100, or more for a tighter interval.",
            )
        if self.latency_concurrency < 1:
            raise ConfigError(
                f"latency_concurrency must be at least 1 (got {self.latency_concurrency}).",
                hint="use 1-8 against a single revision.",
            )
        if self.p95_ms <= 0:
            raise ConfigError(f"p95_ms must be positive (got {self.p95_ms}).", hint="the runbook uses 500.")
        if not 0.5 < self.confidence < 1:
            raise ConfigError(
                f"confidence must be between 0.5 and 1 (got {self.confidence}).", hint="use 0.95."
            )
        return self


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """Notebook parameters that override settings: booleans as given, None and numeric 0 mean 'default'."""
    return {k: v for k, v in options.items() if isinstance(v, bool) or v not in (None, 0)}


class SmokeSession:
    """One smoke run against one base URL. Use the steps in order, then `cleanup()` and `report()`.

    `acquire_token` returns an AccessToken for the API (Identity.api_token(audience), usually);
    `expected_audience` is what the API accepts, so a token for another audience is diagnosed.
    """

    def __init__(
        self,
        base_url: str,
        *,
        acquire_token: Callable[[], AccessToken],
        expected_audience: str,
        options: SmokeOptions | None = None,
        revision: str | None = None,
        expected_tenant: str | None = None,
        blobs: BlobStore | None = None,
        uploads_container: str = "uploads",
        clock: Callable[[], float] = time.perf_counter,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: Any = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.revision = revision
        self.options = (options or SmokeOptions()).validated()
        self._acquire = acquire_token
        self._audience = expected_audience
        self._tenant = expected_tenant
        self._blobs = blobs
        self._container = uploads_container
        self._clock = clock
        self._now = now
        self._client: httpx.Client = checks.make_client(
            self.base_url, timeout_s=self.options.request_timeout_s, transport=transport
        )
        self._token: AccessToken | None = None
        self._auth_ok: bool | None = None
        self._project_id: str | None = None
        self._project_number = f"SMOKE-TEST-{int(now().timestamp())}-{secrets.token_hex(3)}"
        self._document_id: str | None = None
        self.results: list[CheckResult] = []
        self.cleanup_results: list[CheckResult] = []
        self._cleaned = False
        atexit.register(self._cleanup_at_exit)

    @classmethod
    def for_environment(
        cls,
        env: Environment,
        target: SmokeTarget,
        *,
        token_audience: str = "",
        rehearse_token: str = "",
        **options: Any,
    ) -> SmokeSession:
        """A session wired from an environment: its identity, its API audience, its blob store.

        `token_audience` requests the token for another audience (to rehearse a wrong-audience 401);
        option overrides that are None or 0 keep the environment's `smoke` settings.
        """
        settings = env.settings
        audience = token_audience.strip() or settings.api_audience
        try:
            tenant = env.identity.whoami().tenant_id
        except Exception:  # the token step reports identity problems; the tenant is only a diagnosis aid
            tenant = None
        return cls(
            target.url,
            acquire_token=token_source(env, audience, rehearse=rehearse_token),
            expected_audience=settings.api_audience,
            expected_tenant=tenant,
            options=SmokeOptions.from_settings(settings, **_given(options)),
            revision=target.revision,
            blobs=env.blobs,
            uploads_container=settings.storage.uploads_container,
        )

    # ------------------------------------------------------------------ plumbing

    def _add(self, *results: CheckResult) -> list[CheckResult]:
        self.results.extend(results)
        return list(results)

    def _skip(self, name: str, reason: str) -> CheckResult:
        return CheckResult(name, Status.SKIPPED, 0.0, reason)

    def _auth_blocked(self) -> str | None:
        if self._token is None:
            return "no token (step 1 failed)"
        if self._auth_ok is False:
            return "authentication failed (step 3)"
        return None

    def __enter__(self) -> SmokeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
        self.close()

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ steps

    def token(self) -> list[CheckResult]:
        """Step 1: acquire a token for the API; audience and expiry are shown, the value never."""
        result, self._token = checks.check_token(
            self._acquire,
            expected_audience=self._audience,
            expected_tenant=self._tenant,
            now=self._now(),
            clock=self._clock,
        )
        return self._add(result)

    def health(self) -> list[CheckResult]:
        """Step 2: liveness and readiness (each readiness check shown); no authentication."""
        return self._add(
            checks.check_live(self._client, clock=self._clock),
            checks.check_ready(self._client, clock=self._clock),
        )

    def authentication(self) -> list[CheckResult]:
        """Step 3: the authenticated projects list, pagination shape checked; a 401 is diagnosed."""
        name = "auth: list projects"
        if self._token is None:
            self._auth_ok = False
            return self._add(self._skip(name, "no token (step 1 failed)"))
        result = checks.check_projects_list(
            self._client,
            self._token,
            expected_audience=self._audience,
            expected_tenant=self._tenant,
            now=self._now(),
            clock=self._clock,
        )
        self._auth_ok = result.status is Status.PASS or result.data.get("status") not in (401, 403)
        return self._add(result)

    def project_crud(self) -> list[CheckResult]:
        """Step 4: create the test project and read it back."""
        if blocked := self._auth_blocked():
            return self._add(
                self._skip("crud: create project", blocked), self._skip("crud: get project", blocked)
            )
        created, self._project_id = crud.check_project_create(
            self._client, self._token, project_number=self._project_number, clock=self._clock
        )
        if self._project_id is None:
            return self._add(created, self._skip("crud: get project", "no project was created"))
        got = crud.check_project_get(
            self._client,
            self._token,
            self._project_id,
            project_number=self._project_number,
            clock=self._clock,
        )
        return self._add(created, got)

    def document_upload(self) -> list[CheckResult]:
        """Step 5: upload a generated one-page PDF to the test project and read back its blob path."""
        names = ("blob: upload document", "blob: get document")
        if blocked := self._auth_blocked():
            return self._add(*(self._skip(n, blocked) for n in names))
        if self._project_id is None:
            return self._add(*(self._skip(n, "no test project (step 4 failed)") for n in names))
        uploaded, self._document_id = crud.check_document_upload(
            self._client,
            self._token,
            self._project_id,
            minimal_pdf(f"APEX smoke test {self._project_number}"),
            clock=self._clock,
        )
        if self._document_id is None:
            return self._add(uploaded, self._skip(names[1], "no document was uploaded"))
        got = crud.check_document_get(
            self._client,
            self._token,
            self._document_id,
            blobs=self._blobs,
            container=self._container,
            clock=self._clock,
        )
        return self._add(uploaded, got)

    def llm_validation(self) -> list[CheckResult]:
        """Step 6 (optional): document validation through the LLM; SKIPPED unless asked for."""
        name = "llm: validate document"
        if not self.options.run_llm_validation:
            return self._add(self._skip(name, "not requested (run_llm_validation=False)"))
        if blocked := self._auth_blocked():
            return self._add(self._skip(name, blocked))
        if self._document_id is None:
            return self._add(self._skip(name, "no test document (step 5 failed)"))
        return self._add(
            crud.check_llm_validation(
                self._client,
                self._token,
                self._document_id,
                timeout_s=self.options.llm_timeout_s,
                clock=self._clock,
            )
        )

    def latency(self) -> list[CheckResult]:
        """Step 7: the latency baseline (N requests at concurrency C) judged against the P95 threshold."""
        name = "performance: latency baseline"
        if blocked := self._auth_blocked():
            return self._add(self._skip(name, blocked))
        o = self.options
        return self._add(
            checks.check_latency(
                self._client,
                self._token,
                requests=o.latency_requests,
                concurrency=o.latency_concurrency,
                threshold_ms=o.p95_ms,
                confidence=o.confidence,
                clock=self._clock,
            )
        )

    def cleanup(self) -> list[CheckResult]:
        """Step 8: delete what the suite created (document, then project); always safe to call again."""
        if self._cleaned:
            return list(self.cleanup_results)
        out: list[CheckResult] = []
        if self._document_id is not None:
            out.append(cleanup_document(self._client, self._token, self._document_id, clock=self._clock))
        if self._project_id is not None:
            out.append(cleanup_project(self._client, self._token, self._project_id, clock=self._clock))
        if not out:
            out.append(self._skip("cleanup", "nothing was created"))
        self.cleanup_results = out
        self._cleaned = True
        atexit.unregister(self._cleanup_at_exit)
        return list(out)

    def _cleanup_at_exit(self) -> None:
        try:
            self.cleanup()
        finally:
            self.close()

    # ------------------------------------------------------------------ results

    @property
    def created(self) -> dict[str, str | None]:
        """The ids of the test data this session created (what its cleanup removes)."""
        return {"project_id": self._project_id, "document_id": self._document_id}

    def readiness_rows(self) -> list[dict[str, Any]]:
        """Each dependency the readiness probe reported, with its state (the runbook's "checks" object)."""
        ready = next((r for r in self.results if r.name == "health: ready"), None)
        checks_seen = dict(ready.data.get("checks", {})) if ready else {}
        return [
            {"dependency": k, "state": v, "status": Status.PASS if v == "healthy" else Status.FAIL}
            for k, v in checks_seen.items()
        ]

    @property
    def latency_result(self) -> CheckResult | None:
        return next((r for r in self.results if r.name == "performance: latency baseline"), None)

    def save_evidence(self, folder: Path) -> list[Path]:
        """The report (JSON) and every latency sample (CSV) in the run's evidence folder."""
        folder.mkdir(parents=True, exist_ok=True)
        report = self.report()
        doc = {**report.facts(), "results": report.rows()}
        latency = self.latency_result
        if latency is not None and "facts" in latency.data:
            doc["latency"] = latency.data["facts"]
        paths = [folder / "smoke-report.json"]
        write_scrubbed(paths[0], json.dumps(doc, indent=2, default=str) + "\n")
        samples = latency.data.get("samples") if latency is not None else None
        if samples:
            paths.append(folder / "latency-samples.csv")
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer)
            writer.writerow(["index", "started_s", "duration_ms", "status", "error", "revision"])
            writer.writerows(
                (x.index, f"{x.started_s:.6f}", f"{x.duration_ms:.3f}", x.status, x.error, x.revision)
                for x in samples
            )
            write_scrubbed(paths[1], buffer.getvalue())
        return paths

    def report(self) -> SmokeReport:
        return SmokeReport(self.base_url, self.revision, tuple(self.results), tuple(self.cleanup_results))

    def verdict(self) -> Verdict:
        """The report's verdict: a FAIL raises VerificationError (the runbook's "do not proceed")."""
        return self.report().to_verdict()

    def facts(self) -> dict[str, Any]:
        """The ledger facts (JSON-safe): `smoke_verdict` (procedure 50's precondition reads it), `smoke`."""
        report = self.report()
        return {
            "smoke_verdict": {"revision": report.revision, "verdict": report.verdict},
            "smoke": report.facts(),
        }
