"""The sandbox registry: image tags of the APEX service, each bound to a declared fault profile.

A sandbox "image" is the one reference service plus a `FaultProfile` that the replica applies to itself
(the daemon passes it as APEX_FAULT_PROFILE). Good tags carry the empty profile; faulty tags exist so an
engineer can rehearse a bad release and watch the procedures catch it. Their names say what is wrong:

    v1.2.0 v1.2.1 v1.2.2 (baseline) v1.2.3 (the new release)     healthy
    v1.2.4-errors10   10% of API requests answer 500 (DatabaseTimeoutError)
    v1.2.4-errors2     2% of API requests answer 500
    v1.2.4-slow       20% of API requests take 2.5 s longer
    v1.2.4-crash      exits at start (missing environment variable), never binds
    v1.2.4-notready   /health/ready reports the database unhealthy (503)
    v1.2.4-slowstart  takes 5 s before it binds its port
    v1.2.4-degrade    error rate ramps from 0 to 20% over the first 60 s
    v1.2.4-crashloop  the process dies after every 25 API requests (restarts)

Any other fault comes from a YAML file (`ImageCatalogue.add_from_file`), persisted under
`<home>/registry/custom-tags.json` so it survives a restart of the CLI:

    tags:
      v1.2.5-slow-uploads:
        description: uploads take 3 s longer
        latency_ms: 3000
        latency_routes: ["/api/v1/documents/upload"]

Keys per tag: description, plus any FaultProfile field (error_rate, error_type, error_routes, latency_ms,
latency_share, latency_routes, crash_at_start, crash_message, readiness_fail, slow_start_s, degrade_s,
crash_after_requests, faults_after_requests, seed). Route globs match the route template or the path
(`*` crosses `/`).

Digests are sha256 over (repository, tag, profile), so a tag's digest changes exactly when what it does
changes, and creation times of built-in tags are fixed (older tags are older) so listings are stable.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.errors import ConfigError, NotFoundError
from apexops.models import ImageTag

__all__ = [
    "BUILTIN_TAGS",
    "DEFAULT_REPOSITORY",
    "DEFAULT_SERVER",
    "FaultProfile",
    "ImageCatalogue",
    "ImageSpec",
    "parse_image_ref",
]

DEFAULT_SERVER = "apexacr.sandbox.local"
DEFAULT_REPOSITORY = "apex-backend"
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ERROR_TYPE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")


@dataclass(frozen=True)
class FaultProfile:
    """What is wrong with an image, applied by the replica to itself. The default is a healthy image.

    Route globs (fnmatch, `*` crosses `/`) match the route template (`/api/v1/projects/{project_id}`) or
    the request path; by default every API route is affected and the health routes are not.
    """

    #: share of matched requests answered 500, logged as an exception of `error_type`
    error_rate: float = 0.0
    error_type: str = "DatabaseTimeoutError"
    error_routes: tuple[str, ...] = ("/api/*",)
    #: added latency on a share of the matched requests
    latency_ms: float = 0.0
    latency_share: float = 1.0
    latency_routes: tuple[str, ...] = ("/api/*",)
    #: log an ERROR line like a real startup failure, then exit 1 before binding
    crash_at_start: bool = False
    crash_message: str = ""
    #: /health/ready reports the database unhealthy (503)
    readiness_fail: bool = False
    #: seconds the replica waits before it binds its port
    slow_start_s: float = 0.0
    #: when > 0, the error rate ramps linearly from 0 to `error_rate` over this many seconds after start
    degrade_s: float = 0.0
    #: when > 0, the process exits after this many matched requests (to exercise restarts)
    crash_after_requests: int = 0
    #: when > 0, the first this-many matched requests of each replica are served without errors or added
    #: latency: a fault that appears under sustained load (e.g. after the smoke tests), not at once
    faults_after_requests: int = 0
    #: mixed with the replica name, so runs are reproducible while replicas differ
    seed: int = 0

    @property
    def is_healthy(self) -> bool:
        """True when the profile changes nothing (the seed aside)."""
        return self.effects() == []

    def effects(self) -> list[str]:
        """Short human descriptions of what this profile does, for tables and hints."""
        out = []
        if self.error_rate > 0:
            ramp = f" (ramping up over {self.degrade_s:g} s)" if self.degrade_s > 0 else ""
            out.append(f"{self.error_rate:.0%} of requests answer 500{ramp}")
        if self.latency_ms > 0 and self.latency_share > 0:
            out.append(f"{self.latency_share:.0%} of requests +{self.latency_ms:g} ms")
        if self.crash_at_start:
            out.append("crashes at start")
        if self.readiness_fail:
            out.append("readiness fails")
        if self.slow_start_s > 0:
            out.append(f"starts {self.slow_start_s:g} s late")
        if self.crash_after_requests > 0:
            out.append(f"exits after {self.crash_after_requests} requests")
        if out and self.faults_after_requests > 0:
            out.append(f"only after the first {self.faults_after_requests} requests of each replica")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Only the fields that differ from the healthy default, so a healthy profile is `{}`."""
        default = _DEFAULT_VALUES
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value != default[key]:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> str:
        """The APEX_FAULT_PROFILE value (compact, sorted, stable)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None, *, source: str = "APEX_FAULT_PROFILE") -> FaultProfile:
        """Parse the APEX_FAULT_PROFILE value; absent, empty or `{}` is a healthy image."""
        if text is None or not text.strip():
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{source} is not valid JSON ({exc.msg} at position {exc.pos}).",
                hint="pass FaultProfile.to_json() of the image, or {} for a healthy image.",
            ) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "fault profile", where: str = "") -> FaultProfile:
        """Validate a mapping of profile fields; errors are one line naming the source and the key."""
        prefix = f"{where}." if where else ""
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: {where or 'the profile'} must be a mapping of fault settings "
                f"(got {type(data).__name__}).",
                hint=f"use keys from: {', '.join(_FIELD_NAMES)}.",
            )
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in _FIELD_NAMES:
                raise ConfigError(
                    f"{source}: unknown key {prefix}{key}.",
                    hint=f"use one of: {', '.join(_FIELD_NAMES)}.",
                )
            values[key] = _check_field(key, raw, source, f"{prefix}{key}")
        if values.get("degrade_s", 0) > 0 and values.get("error_rate", 0) <= 0:
            raise ConfigError(
                f"{source}: {prefix}degrade_s is set but {prefix}error_rate is 0, so nothing would degrade.",
                hint=f"set {prefix}error_rate to the error rate reached after degrade_s seconds.",
            )
        return cls(**values)


_DEFAULT_VALUES = asdict(FaultProfile())
_FIELD_NAMES = tuple(f.name for f in fields(FaultProfile))


def _check_field(key: str, raw: Any, source: str, where: str) -> Any:
    def bad(expect: str) -> ConfigError:
        return ConfigError(f"{source}: {where} must be {expect} (got {raw!r}).", hint=f"correct {where}.")

    def number(lo: float, hi: float) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise bad(f"a number between {lo:g} and {hi:g}")
        if not lo <= raw <= hi:
            raise bad(f"between {lo:g} and {hi:g}")
        return float(raw)

    if key in ("error_rate", "latency_share"):
        return number(0.0, 1.0)
    if key == "latency_ms":
        return number(0.0, 600_000.0)
    if key in ("slow_start_s", "degrade_s"):
        return number(0.0, 3600.0)
    if key in ("crash_at_start", "readiness_fail"):
        if not isinstance(raw, bool):
            raise bad("true or false")
        return raw
    if key in ("crash_after_requests", "faults_after_requests", "seed"):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise bad("a whole number >= 0")
        return raw
    if key in ("error_routes", "latency_routes"):
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple) or not all(
            isinstance(g, str) and g.startswith("/") for g in raw
        ):
            raise bad('a list of route globs starting with "/", e.g. ["/api/v1/projects/*"]')
        return tuple(raw)
    if key == "error_type":
        if not isinstance(raw, str) or not _ERROR_TYPE_RE.fullmatch(raw):
            raise bad("an exception type name such as DatabaseTimeoutError")
        return raw
    # crash_message
    if not isinstance(raw, str) or len(raw) > 500 or "\n" in raw:
        raise bad("one line of text (at most 500 characters)")
    return raw


@dataclass(frozen=True)
class ImageSpec:
    """A tag of the sandbox registry: what `az acr repository show` gives, plus the fault profile."""

    repository: str
    tag: str
    image: str
    digest: str
    created: datetime
    profile: FaultProfile = field(default_factory=FaultProfile)
    description: str = ""
    builtin: bool = True

    @property
    def faulty(self) -> bool:
        return not self.profile.is_healthy

    def as_tag(self) -> ImageTag:
        return ImageTag(
            repository=self.repository,
            tag=self.tag,
            digest=self.digest,
            created=self.created,
            image=self.image,
        )


def _at(day: str, hhmm: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


#: the built-in tags: (tag, created, description, profile); healthy ones first, older ones older
BUILTIN_TAGS: tuple[tuple[str, datetime, str, FaultProfile], ...] = (
    ("v1.2.0", _at("2024-01-16"), "older release", FaultProfile()),
    ("v1.2.1", _at("2024-02-06"), "older release", FaultProfile()),
    ("v1.2.2", _at("2024-02-27"), "baseline release (what production runs)", FaultProfile()),
    ("v1.2.3", _at("2024-03-19"), "the new release", FaultProfile()),
    (
        "v1.2.4-errors10",
        _at("2024-03-26", "10:00"),
        "10% of API requests answer 500 (DatabaseTimeoutError)",
        FaultProfile(error_rate=0.10),
    ),
    (
        "v1.2.4-errors2",
        _at("2024-03-26", "10:05"),
        "2% of API requests answer 500 (DatabaseTimeoutError)",
        FaultProfile(error_rate=0.02),
    ),
    (
        "v1.2.4-slow",
        _at("2024-03-26", "10:10"),
        "20% of API requests take 2.5 s longer",
        FaultProfile(latency_ms=2500, latency_share=0.20),
    ),
    (
        "v1.2.4-crash",
        _at("2024-03-26", "10:15"),
        "exits at start with a configuration error (never ready)",
        FaultProfile(
            crash_at_start=True,
            crash_message="Application startup failed: required environment variable "
            "AZURE_OPENAI_DEPLOYMENT_VERSION is not set",
        ),
    ),
    (
        "v1.2.4-notready",
        _at("2024-03-26", "10:20"),
        "/health/ready reports the database unhealthy (503)",
        FaultProfile(readiness_fail=True),
    ),
    (
        "v1.2.4-slowstart",
        _at("2024-03-26", "10:25"),
        "waits 5 s before binding its port",
        FaultProfile(slow_start_s=5.0),
    ),
    (
        "v1.2.4-degrade",
        _at("2024-03-26", "10:30"),
        "error rate ramps from 0 to 20% over the first 60 s (a leak)",
        FaultProfile(error_rate=0.20, degrade_s=60.0),
    ),
    (
        "v1.2.4-crashloop",
        _at("2024-03-26", "10:35"),
        "the process dies after every 25 API requests (restarts)",
        FaultProfile(crash_after_requests=25),
    ),
)


def _digest(repository: str, tag: str, profile: FaultProfile) -> str:
    payload = json.dumps(
        {"repository": repository, "tag": tag, "profile": profile.to_dict()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def parse_image_ref(image: str) -> tuple[str, str, str]:
    """Split `server/repository:tag` into its three parts; ConfigError when it is not of that shape."""
    server, slash, rest = image.partition("/")
    repository, colon, tag = rest.rpartition(":")
    if not (slash and colon and server and repository and _TAG_RE.fullmatch(tag)):
        raise ConfigError(
            f"image {image!r} is not a full reference of the form <server>/<repository>:<tag>.",
            hint=f"e.g. {DEFAULT_SERVER}/{DEFAULT_REPOSITORY}:v1.2.3",
        )
    return server, repository, tag


class ImageCatalogue:
    """The tags of one repository of the sandbox registry: the built-in ones plus custom ones from files."""

    def __init__(
        self, home: Path, server: str = DEFAULT_SERVER, repository: str = DEFAULT_REPOSITORY
    ) -> None:
        self.home = Path(home)
        self.server = server
        self.repository = repository

    def image_ref(self, tag: str) -> str:
        return f"{self.server}/{self.repository}:{tag}"

    @property
    def custom_file(self) -> Path:
        return self.home / "registry" / "custom-tags.json"

    def _spec(
        self, tag: str, created: datetime, description: str, profile: FaultProfile, builtin: bool
    ) -> ImageSpec:
        return ImageSpec(
            repository=self.repository,
            tag=tag,
            image=f"{self.server}/{self.repository}:{tag}",
            digest=_digest(self.repository, tag, profile),
            created=created,
            profile=profile,
            description=description or "; ".join(profile.effects()) or "healthy",
            builtin=builtin,
        )

    def _custom(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.custom_file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{self.custom_file}: the custom tag store cannot be read ({exc}).",
                hint="delete it and add the custom tags again with add_from_file().",
            ) from None
        return data.get(self.repository, {}) if isinstance(data, dict) else {}

    def specs(self) -> list[ImageSpec]:
        """Every tag, newest first (like `az acr repository show-tags --orderby time_desc`)."""
        out = [self._spec(tag, created, text, profile, True) for tag, created, text, profile in BUILTIN_TAGS]
        for tag, entry in self._custom().items():
            profile = FaultProfile.from_dict(
                entry.get("profile", {}), source=str(self.custom_file), where=tag
            )
            created = datetime.fromisoformat(entry["created"])
            out.append(self._spec(tag, created, entry.get("description", ""), profile, False))
        return sorted(out, key=lambda s: (s.created, s.tag), reverse=True)

    def tags(self) -> list[ImageTag]:
        return [s.as_tag() for s in self.specs()]

    def get(self, tag: str) -> ImageSpec:
        for spec in self.specs():
            if spec.tag == tag:
                return spec
        known = ", ".join(s.tag for s in sorted(self.specs(), key=lambda s: s.created))
        raise NotFoundError(
            f"image tag {tag!r} not found in {self.server}/{self.repository}.",
            hint=f"known tags: {known}; add a custom faulty tag with ImageCatalogue.add_from_file(<yaml>).",
        )

    def profile(self, tag: str) -> FaultProfile:
        return self.get(tag).profile

    def resolve(self, image: str) -> ImageSpec:
        """The spec of a full image reference (by tag, or by digest `<server>/<repo>@sha256:...`);
        NotFoundError for another registry, repository, tag or digest."""
        if "@" in image:
            name, _, digest = image.partition("@")
            server, _, repository = name.partition("/")
            if (server, repository) == (self.server, self.repository):
                for spec in self.specs():
                    if spec.digest == digest:
                        return spec
                raise NotFoundError(
                    f"no image in {self.server}/{self.repository} has digest {digest!r}.",
                    hint="list the tags and their digests with the registry's list_tags().",
                )
            tag = ""
        else:
            server, repository, tag = parse_image_ref(image)
        if (server, repository) != (self.server, self.repository):
            raise NotFoundError(
                f"image {image!r} is not in the sandbox registry {self.server}/{self.repository}.",
                hint=f"use {self.server}/{self.repository}:<tag>, e.g. {self.image_ref('v1.2.3')}",
            )
        return self.get(tag)

    def add_from_file(self, path: Path) -> list[ImageSpec]:
        """Add (or replace) custom tags declared in a YAML file; validated fully before anything is saved."""
        import yaml  # only here: replicas import this module and must start fast

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot read the fault file ({exc.strerror}).", hint="check the path."
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}:{where} is not valid YAML.", hint="fix the YAML syntax.") from None
        if not isinstance(data, dict) or not isinstance(data.get("tags"), dict) or not data["tags"]:
            raise ConfigError(
                f"{path}: missing key tags (a mapping of tag name to fault settings).",
                hint="see the example in apexops/sandbox/images.py.",
            )
        unknown = sorted(set(data) - {"tags", "repository"})
        if unknown:
            raise ConfigError(f"{path}: unknown key {unknown[0]}.", hint="use only repository and tags.")
        if data.get("repository", self.repository) != self.repository:
            raise ConfigError(
                f"{path}: repository is {data['repository']!r} but this registry holds {self.repository!r}.",
                hint=f"set repository: {self.repository} or remove the key.",
            )
        builtin = {t for t, _, _, _ in BUILTIN_TAGS}
        staged: dict[str, tuple[str, FaultProfile]] = {}
        for tag, body in data["tags"].items():
            tag = str(tag)
            if not _TAG_RE.fullmatch(tag):
                raise ConfigError(
                    f"{path}: tags.{tag} is not a valid image tag.",
                    hint="use letters, digits, '.', '_' and '-' (at most 128).",
                )
            if tag in builtin:
                raise ConfigError(
                    f"{path}: tags.{tag} is a built-in tag and cannot be redefined.",
                    hint="pick another tag name, e.g. add a suffix such as -custom.",
                )
            description = ""
            if isinstance(body, dict) and "description" in body:
                body = dict(body)
                description = body.pop("description")
                if not isinstance(description, str) or "\n" in description.strip() or len(description) > 500:
                    raise ConfigError(
                        f"{path}: tags.{tag}.description must be one line of text.",
                        hint=f"correct tags.{tag}.description.",
                    )
            staged[tag] = (
                description.strip(),
                FaultProfile.from_dict(body, source=str(path), where=f"tags.{tag}"),
            )
        store: dict[str, Any] = {}
        if self.custom_file.exists():
            self._custom()  # fail clearly on a corrupt store before replacing it
            store = json.loads(self.custom_file.read_text())
        entries = store.setdefault(self.repository, {})
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for tag, (description, profile) in staged.items():
            same = entries.get(tag, {}).get("profile") == profile.to_dict()
            entries[tag] = {
                "profile": profile.to_dict(),
                "description": description,
                "source": str(path.resolve()),
                "created": entries[tag]["created"] if same else now,
            }
        self.custom_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.custom_file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(store, indent=2, sort_keys=True))
        tmp.replace(self.custom_file)
        return [self.get(tag) for tag in staged]
