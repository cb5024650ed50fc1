"""The outermost layer of a replica: headers, access log, bearer auth, fault injection, last-resort 500.

It wraps the whole FastAPI app (outside Starlette's own error middleware), so EVERY response carries
x-apex-revision / x-apex-replica / x-apex-route, including 401s, 404s, 422s and the 500 of a crash, and
every request yields exactly one access line. The route template is found by matching the app's routes
up front, which also lets faults target routes by template before the handler runs. Auth runs before
faults, as in the real service a database timeout can only hit an authenticated request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

from apexops.sandbox.identity import TokenRejectedError, verify_token
from apexops.sandbox.service.config import ServiceConfig
from apexops.sandbox.service.faults import FaultInjector, simulated_error
from apexops.sandbox.service.logs import log_exception

__all__ = ["ApexMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

access_log = logging.getLogger("apex.access")
app_log = logging.getLogger("apex.app")


def _quote(text: str) -> str:
    return text.replace("\\", "/").replace('"', "'")


class ApexMiddleware:
    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        *,
        routes: Sequence[BaseRoute],
        config: ServiceConfig,
        key: bytes,
        faults: FaultInjector,
    ) -> None:
        self.app = app
        self.routes = routes
        self.config = config
        self.key = key
        self.faults = faults
        self._static = [
            (b"x-apex-revision", config.revision.encode("latin-1", "replace")),
            (b"x-apex-replica", config.replica.encode("latin-1", "replace")),
        ]

    def route_of(self, scope: Scope) -> str:
        partial = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", "unmatched")
            if match is Match.PARTIAL and partial is None:
                partial = getattr(route, "path", None)
        return partial or "unmatched"

    def authenticate(self, scope: Scope) -> TokenRejectedError | None:
        header = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), None)
        if header is None:
            return TokenRejectedError("missing", "no bearer token: the request has no Authorization header.")
        scheme, _, raw = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return TokenRejectedError(
                "malformed", "the Authorization header is not of the form 'Bearer <token>'."
            )
        try:
            claims = verify_token(
                raw.strip(), key=self.key, audience=self.config.auth_audience, issuer=self.config.auth_issuer
            )
        except TokenRejectedError as exc:
            return exc
        scope.setdefault("state", {})["claims"] = claims
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path = scope.get("path", "")
        route = self.route_of(scope)
        headers = [*self._static, (b"x-apex-route", route.encode("latin-1", "replace"))]
        state: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                state["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        async def reply(status: int, body: dict[str, Any], extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
            data = json.dumps(body).encode()
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(data)).encode()),
                        *extra,
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": data})

        try:
            if path.startswith("/api/"):
                rejected = self.authenticate(scope)
                if rejected is not None:
                    code = (
                        "invalid_request" if rejected.reason in ("missing", "malformed") else "invalid_token"
                    )
                    app_log.warning(
                        "authentication failed: %s",
                        rejected.message,
                        extra={"reason": rejected.reason, "route": route},
                    )
                    challenge = (
                        f'Bearer realm="apex", error="{code}", error_description="{_quote(rejected.message)}"'
                    )
                    await reply(
                        401,
                        {
                            "detail": f"Not authenticated: {rejected.message}",
                            "error": code,
                            "reason": rejected.reason,
                        },
                        [(b"www-authenticate", challenge.encode("latin-1", "replace"))],
                    )
                    return
            decision = self.faults.decide(route, path)
            if decision.delay_s:
                state["fault"] = f"latency+{decision.delay_s * 1000:g}ms"
                await asyncio.sleep(decision.delay_s)
            if decision.error:
                state["fault"] = f"{state['fault']},error" if "fault" in state else "error"
                raise simulated_error(self.config.fault_profile, route)
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            problem = log_exception(app_log, exc, route=route, method=scope.get("method"), path=path)
            if not state["started"]:
                await reply(500, {"detail": "Internal Server Error", "problem_id": problem})
        finally:
            duration_ms = round((time.perf_counter() - start) * 1000, 2)
            method = scope.get("method", "")
            extra = {
                "method": method,
                "path": path,
                "route": route,
                "status": state["status"],
                "duration_ms": duration_ms,
            }
            if "fault" in state:  # which requests the profile touched, for rehearsal forensics
                extra["fault"] = state["fault"]
            access_log.info("%s %s %s %.2fms", method, path, state["status"], duration_ms, extra=extra)
            if self.faults.count(route, path):
                self._crash()

    def _crash(self) -> None:
        app_log.error(
            "worker process terminated: fatal error after %d requests "
            "(simulated by the image's fault profile)",
            self.faults.matched_requests,
            extra={"kind": "crash"},
        )
        sys.stdout.flush()
        # let the in-flight response reach the socket, then die without cleanup, like a real crash
        asyncio.get_running_loop().call_later(0.05, os._exit, 1)
