"""Fakes at the Azure HTTP boundary only: a credential, an azure-core transport, and the REST examples.

The adapters under test run the real SDK clients (pipeline, serialisation, LRO polling, paging); only
the bytes on the wire are canned. Routes answer with bodies taken from the official examples in
`tests/azure/examples/` (copied from Azure/azure-rest-api-specs, see SOURCES.md there), so a test fails
when the SDK or the adapter stops understanding what Azure actually sends.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

EXAMPLES = Path(__file__).parent / "examples"
SUB = "00000000-1111-2222-3333-444444444444"
ARM = "https://arm.test.invalid"
LOGS = "https://logs.test.invalid"


def example(relpath: str) -> dict[str, Any]:
    """One official REST example (request parameters and responses), as JSON."""
    return json.loads((EXAMPLES / relpath).read_text())


def example_body(relpath: str, status: str = "200") -> Any:
    return example(relpath)["responses"][status].get("body")


def fake_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped string: the adapters only ever decode claims, never verify."""

    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.c2ln"


# --------------------------------------------------------------------------- credential


@dataclass
class FakeCredential:
    """Stands in for DefaultAzureCredential: records the scopes asked for, hands out fake JWTs."""

    claims: dict[str, Any] = field(
        default_factory=lambda: {
            "upn": "oncall@contoso.example",
            "oid": "11111111-0000-0000-0000-000000000001",
            "tid": "22222222-0000-0000-0000-000000000002",
            "idtyp": "user",
        }
    )
    scopes: list[str] = field(default_factory=list)
    error: Exception | None = None

    def get_token(self, *scopes: str, **_: Any):
        from azure.core.credentials import AccessToken

        if self.error is not None:
            raise self.error
        self.scopes.extend(scopes)
        exp = int(time.time()) + 3600
        aud = scopes[0].removesuffix("/.default") if scopes else ""
        return AccessToken(fake_jwt({**self.claims, "aud": aud, "exp": exp}), exp)


# --------------------------------------------------------------------------- transport


def _make_response_class():
    from azure.core.rest import HttpResponse
    from azure.core.utils import case_insensitive_dict

    class FakeResponse(HttpResponse):
        """azure.core.rest.HttpResponse over canned bytes (public ABC only)."""

        def __init__(self, request, status: int, body: bytes, headers: dict[str, str]):
            self._request = request
            self._status = status
            self._body = body
            self._headers = case_insensitive_dict(headers)
            self._closed = False

        request = property(lambda self: self._request)
        status_code = property(lambda self: self._status)
        headers = property(lambda self: self._headers)
        reason = property(lambda self: "OK" if self._status < 400 else "Error")
        content_type = property(lambda self: self._headers.get("content-type"))
        is_closed = property(lambda self: self._closed)
        is_stream_consumed = property(lambda self: True)
        url = property(lambda self: self._request.url)
        content = property(lambda self: self._body)

        @property
        def encoding(self):
            return "utf-8"

        @encoding.setter
        def encoding(self, value):  # the SDKs may set it
            pass

        def text(self, encoding=None):
            return self._body.decode(encoding or "utf-8")

        def json(self):
            return json.loads(self._body) if self._body else None

        def read(self):
            return self._body

        def iter_raw(self, **_):
            yield self._body

        def iter_bytes(self, **_):
            yield self._body

        def raise_for_status(self):
            from azure.core.exceptions import HttpResponseError

            if self._status >= 400:
                raise HttpResponseError(response=self)

        def close(self):
            self._closed = True

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.close()

        # legacy pipeline-transport surface some data-plane SDKs (storage) still call
        def body(self):
            return self._body

        def stream_download(self, pipeline, **_):
            return iter([self._body])

    return FakeResponse


@dataclass
class Recorded:
    method: str
    url: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    @property
    def api_version(self) -> str | None:
        return (self.query.get("api-version") or [None])[0]


Reply = tuple[int, Any, dict[str, str]]
Handler = Callable[[Recorded], Reply]


class FakeAzure:
    """Routes (method, path regex) to canned replies and records every request the SDK sent."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], list[Handler | Reply]]] = []
        self.requests: list[Recorded] = []

    def on(self, method: str, path_regex: str, *replies: Handler | Reply) -> FakeAzure:
        """Answer a route; several replies are served in order, the last one repeats."""
        self.routes.append((method.upper(), re.compile(path_regex, re.I), list(replies)))
        return self

    def calls(self, method: str | None = None, path_regex: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path_regex is None or re.search(path_regex, r.path, re.I))
        ]

    def transport(self):
        from azure.core.pipeline.transport import HttpTransport

        fake = self
        response_cls = _make_response_class()

        class FakeTransport(HttpTransport):
            def send(self, request, **kwargs):
                return fake._dispatch(request, response_cls)

            def open(self):
                pass

            def close(self):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *args):
                pass

        return FakeTransport()

    def _dispatch(self, request, response_cls):
        parts = urlsplit(request.url)
        # azure.core.rest.HttpRequest has .content; the legacy pipeline request (ACR, storage) has .body
        body = getattr(request, "content", None)
        if body is None:
            body = getattr(request, "body", None)
        if body is None:
            body = getattr(request, "data", None) or b""
        if isinstance(body, dict):  # a legacy form body (the ACR token exchange), encoded as requests does
            body = urlencode(
                {k: v.encode() if isinstance(v, str) else v for k, v in body.items() if v is not None}
            )
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):  # a stream or generator
            body = b"".join(body) if body else b""
        rec = Recorded(
            method=request.method.upper(),
            url=request.url,
            path=parts.path,
            query=parse_qs(parts.query),
            headers=dict(request.headers),
            body=body,
        )
        self.requests.append(rec)
        for method, pattern, replies in self.routes:
            if method == rec.method and pattern.fullmatch(rec.path):
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                status, payload, headers = reply(rec) if callable(reply) else reply
                break
        else:
            status, payload, headers = 599, {"error": {"code": "NoFakeRoute", "message": rec.url}}, {}
        if isinstance(payload, bytes | str):
            raw = payload.encode() if isinstance(payload, str) else payload
            headers = {"content-type": "application/xml", **headers}
        else:
            raw = b"" if payload is None else json.dumps(payload).encode()
            headers = {"content-type": "application/json", **headers}
        return response_cls(request, status, raw, headers)


def ok(body: Any = None, headers: dict[str, str] | None = None, status: int = 200) -> Reply:
    return (status, body, headers or {})


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return (status, {"error": {"code": code, "message": message}}, headers or {})


RG_PATH = rf"/subscriptions/{SUB}/resourceGroups/apex-rg-prod"
APP_PATH = RG_PATH + r"/providers/Microsoft\.App/containerApps/apex-backend-prod"


def iter_examples(folder: str) -> Iterator[Path]:
    yield from sorted((EXAMPLES / folder).glob("*.json"))


# --------------------------------------------------------------------------- assertions


def assert_plain(value: Any, path: str = "result") -> None:
    """No SDK object anywhere: only apexops dataclasses, builtins and aware UTC datetimes."""
    import dataclasses
    from datetime import datetime, timedelta

    module = type(value).__module__
    assert not module.startswith("azure"), f"{path} is an SDK object ({type(value)!r})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        assert module.startswith("apexops."), f"{path}: {type(value)!r} is not an apexops type"
        for f in dataclasses.fields(value):
            assert_plain(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        assert type(value) is dict, f"{path} is a {type(value)!r}, not a plain dict"
        for k, v in value.items():
            assert type(k) is str, f"{path} has a non-str key {k!r}"
            assert_plain(v, f"{path}[{k!r}]")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            assert_plain(v, f"{path}[{i}]")
    elif isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0), f"{path} is not an aware UTC datetime: {value!r}"
    else:
        assert value is None or type(value) in (str, int, float, bool), f"{path}: {type(value)!r}"


# --------------------------------------------------------------------------- a stateful Azure

CONTAINERS_XML = (
    '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://stapexprod.blob.core.windows.net/">'
    "<Containers><Container><Name>uploads</Name><Properties><Last-Modified>Wed, 26 Oct 2022 20:39:39 GMT"
    '</Last-Modified><Etag>"0x8DAB1A6B4C2E1D3"</Etag></Properties></Container><Container><Name>processed</Name>'
    '<Properties><Last-Modified>Wed, 26 Oct 2022 20:39:39 GMT</Last-Modified><Etag>"0x8DAB1A6B4C2E1D2"</Etag>'
    "</Properties></Container></Containers><NextMarker /></EnumerationResults>"
)
ACR_CHALLENGE = {
    "WWW-Authenticate": 'Bearer realm="https://apexacr.azurecr.io/oauth2/token",'
    'service="apexacr.azurecr.io",scope="repository:apex-backend:metadata_read"'
}


METRICS_EXAMPLE = "monitor-metrics/MetricBatchExample.json"


def requests_metric(resource_id: str, series: list[tuple[str, str, dict[str, float]]]) -> dict[str, Any]:
    """The official getBatch example reshaped into Container Apps' `Requests` metric of one app: one time
    series per (revision, status-code category) with a `total` per 1-minute data point (dimension names come
    back in lower case, as in the example)."""
    import copy

    body = copy.deepcopy(example_body(METRICS_EXAMPLE))
    value = body["values"][0]
    metric = value["value"][0]
    value.update(interval="PT1M", namespace="microsoft.app/containerapps", resourceid=resource_id)
    name = {"value": "Requests", "localizedValue": "Requests"}
    metric.update(id=f"{resource_id}/providers/Microsoft.Insights/metrics/Requests", unit="Count", name=name,
                  displayDescription="Requests")  # fmt: skip
    template = metric["timeseries"][0]
    metric["timeseries"] = []
    for revision, category, points in series:
        ts = copy.deepcopy(template)
        ts["metadatavalues"] = [
            {"name": {"value": dim, "localizedValue": dim}, "value": value}
            for dim, value in (("revisionname", revision), ("statuscodecategory", category))
        ]
        ts["data"] = [{"timeStamp": t, "total": n} for t, n in points.items()]
        metric["timeseries"].append(ts)
    value["value"] = [metric]
    body["values"] = [value]
    return body


def acr(fake: FakeAzure, path: str, *replies: Handler | Reply) -> None:
    """An ACR data-plane route behind the token challenge: 401 until the ACR access token is presented."""
    queue = list(replies)

    def handler(rec: Recorded) -> Reply:
        if rec.headers.get("Authorization") != "Bearer acr-access-token":
            return (401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                    ACR_CHALLENGE)  # fmt: skip
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(rec) if callable(reply) else reply

    fake.on("GET", path, handler)
    # the exchange's refresh token must be JWT-shaped (the SDK reads its exp); the official example's is
    # an elided placeholder, so only its response *shape* is used here
    refresh = example_body("containerregistry/PostRefreshToken.json")
    fake.on(
        "POST",
        "/oauth2/exchange",
        ok({**refresh, "refresh_token": fake_jwt({"exp": int(time.time()) + 3600})}),
    )
    access = example_body("containerregistry/PostAccessToken.json")
    fake.on("POST", "/oauth2/token", ok({**access, "access_token": "acr-access-token"}))


class AzureWorld:
    """One Azure resource group behind a FakeAzure whose writes change what later reads return.

    The container app (official ContainerApps_Get example, in multiple-revision mode) starts with revision
    OLD at 100% and NEW at 0%; PATCH sets traffic or creates a revision, the revision verbs flip `active`.
    Telemetry queries answer empty tables; ACR, blob storage and deployments answer the official examples.
    """

    OLD, NEW = "apex-backend-prod--old1", "apex-backend-prod--new2"
    TAGS = "/acr/v1/apex-backend/_tags"

    def __init__(self, fake: FakeAzure) -> None:
        import copy

        self.fake = fake
        self.app = copy.deepcopy(example_body("containerapps/ContainerApps_Get.json"))
        self.app["name"] = "apex-backend-prod"
        self.app["properties"]["configuration"]["activeRevisionsMode"] = "Multiple"
        self.revs = {name: self._revision(name) for name in (self.OLD, self.NEW)}
        self._traffic([{"revisionName": self.OLD, "weight": 100}, {"revisionName": self.NEW, "weight": 0}])
        self._latest(self.NEW)
        self.deployments: dict[str, dict[str, Any]] = {}
        self._routes()

    # ------------------------------------------------------------------ state

    def _revision(self, name: str) -> dict[str, Any]:
        import copy

        doc = copy.deepcopy(example_body("containerapps/Revisions_Get.json"))
        doc["name"] = name
        doc["properties"].update(active=True, trafficWeight=0)
        return doc

    def _traffic(self, traffic: list[dict[str, Any]]) -> None:
        self.app["properties"]["configuration"]["ingress"]["traffic"] = traffic
        weights = {t["revisionName"]: t["weight"] for t in traffic}
        for name, doc in self.revs.items():
            doc["properties"]["trafficWeight"] = weights.get(name, 0)

    def _latest(self, name: str) -> None:
        self.app["properties"]["latestRevisionName"] = self.app["properties"]["latestReadyRevisionName"] = (
            name
        )

    # ------------------------------------------------------------------ routes

    def _patch(self, rec: Recorded) -> Reply:
        props = rec.json()["properties"]
        traffic = props.get("configuration", {}).get("ingress", {}).get("traffic")
        if "template" in props:
            name = (
                f"apex-backend-prod--{props['template'].get('revisionSuffix') or 'r' + str(len(self.revs))}"
            )
            self.revs[name] = self._revision(name)
            self._latest(name)
        if traffic is not None:
            self._traffic(traffic)
        return ok(self.app)

    def _get_revision(self, rec: Recorded) -> Reply:
        name = rec.path.rsplit("/", 1)[-1]
        if name not in self.revs:
            return arm_error(404, "ContainerAppRevisionNotFound", f"revision {name} was not found.")
        return ok(self.revs[name])

    def _verb(self, rec: Recorded) -> Reply:
        *_, name, verb = rec.path.split("/")
        if name not in self.revs:
            return arm_error(404, "ContainerAppRevisionNotFound", f"revision {name} was not found.")
        if verb in ("activate", "deactivate"):
            self.revs[name]["properties"]["active"] = verb == "activate"
        return ok({})

    def _deploy(self, rec: Recorded) -> Reply:
        name = rec.path.rsplit("/", 1)[-1]
        props = {"provisioningState": "Succeeded", "timestamp": "2024-05-01T12:20:00Z", "mode": "Incremental"}
        self.deployments[name] = {"id": rec.path, "name": name, "properties": props}
        return ok(self.deployments[name])

    def _deployment(self, rec: Recorded, body: Callable[[dict[str, Any]], Any]) -> Reply:
        name = rec.path.removesuffix("/operations").rsplit("/", 1)[-1]
        if name not in self.deployments:
            return arm_error(404, "DeploymentNotFound", f"Deployment '{name}' could not be found.")
        return ok(body(self.deployments[name]))

    def _routes(self) -> None:
        f, dep = (
            self.fake,
            rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/(providers/Microsoft\.Resources/)?deployments/",
        )
        f.on("GET", APP_PATH, lambda rec: ok(self.app))
        f.on("PATCH", APP_PATH, self._patch)
        f.on("GET", APP_PATH + "/revisions", lambda rec: ok({"value": list(self.revs.values())}))
        f.on(
            "GET",
            APP_PATH + r"/revisions/[^/]+/replicas",
            ok(example_body("containerapps/Replicas_List.json")),
        )
        f.on("GET", APP_PATH + r"/revisions/[^/]+", self._get_revision)
        f.on("POST", APP_PATH + r"/revisions/[^/]+/(activate|deactivate|restart)", self._verb)
        f.on("POST", r"/v1/.+/query", ok({"tables": [{"name": "PrimaryResult", "columns": [], "rows": []}]}))
        app_id = APP_PATH.replace("\\", "")
        f.on("POST", rf"/subscriptions/{SUB}/metrics:getBatch", lambda rec: ok(requests_metric(app_id, [])))
        f.on("GET", "/", ok(CONTAINERS_XML))
        f.on("HEAD", r"/uploads/.+", (404, None, {"x-ms-error-code": "BlobNotFound"}))
        f.on("PUT", dep + "[^/]+", self._deploy)
        f.on("GET", dep + "[^/]+", lambda rec: self._deployment(rec, lambda doc: doc))
        f.on("GET", dep + "[^/]+/operations", lambda rec: self._deployment(rec, lambda doc: {"value": []}))
        f.on("POST", dep + "[^/]+/cancel", ok(None, status=204))
        f.on(
            "POST",
            dep + "[^/]+/whatIf",
            ok(example_body("resources/PostDeploymentWhatIfOnResourceGroup.json")),
        )
        validated = example_body("resources/PostDeploymentValidateOnResourceGroup.json")
        f.on("POST", dep + "[^/]+/validate", ok(validated))
        resource = {"id": "/x/app", "name": "apex-backend-prod", "type": "Microsoft.App/containerApps",
                    "location": "eastus", "provisioningState": "Succeeded"}  # fmt: skip
        f.on("GET", rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/resources", ok({"value": [resource]}))
        tags = example_body("containerregistry/GetTagList.json")
        self.tags = {t["name"] for t in tags["tags"]}
        acr(f, self.TAGS, ok(tags))
        attributes = ok(example_body("containerregistry/GetTagAttributes.json"))
        unknown = (
            404,
            {"errors": [{"code": "TAG_UNKNOWN", "message": "the specified tag does not exist"}]},
            {},
        )
        acr(
            f,
            self.TAGS + "/.+",
            lambda rec: attributes if rec.path.rsplit("/", 1)[-1] in self.tags else unknown,
        )
