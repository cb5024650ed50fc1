"""The sandbox registry: image tags of the APEX service, each bound to a declared fault profile.

A sandbox "image" is the one reference service plus a `FaultProfile` that the replica applies to itself
(the daemon passes it as APEX_FAULT_PROFILE). Good tags carry the empty profile; faulty tags exist so an
engineer can rehearse a bad release and watch the procedures catch it. The built-in tags (`BUILTIN_TAGS`
below) are the healthy v1.2.0 to v1.2.3 (v1.2.2 the baseline, v1.2.3 the new release) and v1.2.4-<fault>
ones whose names say what is wrong (errors10, errors2, slow, crash, notready, slowstart, degrade, crashloop).

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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from apexops.errors import ConfigError, NotFoundError
from apexops.models import ImageTag
from apexops.sandbox.state import read_json, write_json

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
_ERROR_TYPE = r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$"


def _globs(value: Any) -> Any:
    """One glob may be given as a string; lists become tuples (the profile is immutable)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _number(hi: float) -> Any:
    return Field(ge=0, le=hi, allow_inf_nan=False, description=f"a number between 0 and {hi:g}")


_Glob = Annotated[str, StringConstraints(pattern=r"^/")]
_Routes = Annotated[
    tuple[_Glob, ...],
    BeforeValidator(_globs),
    Field(description='a list of route globs starting with "/", e.g. ["/api/v1/projects/*"]'),
]
_Count = Annotated[int, Field(ge=0, description="a whole number >= 0")]
_Flag = Annotated[bool, Field(description="true or false")]
_RANGE_ERRORS = {"greater_than_equal", "less_than_equal"}


class FaultProfile(BaseModel):
    """What is wrong with an image, applied by the replica to itself. The default is a healthy image.

    Route globs (fnmatch, `*` crosses `/`) match the route template (`/api/v1/projects/{project_id}`) or
    the request path; by default every API route is affected and the health routes are not. Validated by
    pydantic (strict: a JSON string is not a number, a number is not a flag); each field's description is
    what the one-line error says the value must be.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    #: share of matched requests answered 500, logged as an exception of `error_type`
    error_rate: Annotated[float, _number(1)] = 0.0
    error_type: Annotated[
        str, Field(pattern=_ERROR_TYPE, description="an exception type name such as DatabaseTimeoutError")
    ] = "DatabaseTimeoutError"
    error_routes: _Routes = ("/api/*",)
    #: added latency on a share of the matched requests
    latency_ms: Annotated[float, _number(600_000)] = 0.0
    latency_share: Annotated[float, _number(1)] = 1.0
    latency_routes: _Routes = ("/api/*",)
    #: log an ERROR line like a real startup failure, then exit 1 before binding
    crash_at_start: _Flag = False
    crash_message: Annotated[
        str,
        Field(max_length=500, pattern=r"^[^\n]*$", description="one line of text (at most 500 characters)"),
    ] = ""
    #: /health/ready reports the database unhealthy (503)
    readiness_fail: _Flag = False
    #: seconds the replica waits before it binds its port
    slow_start_s: Annotated[float, _number(3600)] = 0.0
    #: when > 0, the error rate ramps linearly from 0 to `error_rate` over this many seconds after start
    degrade_s: Annotated[float, _number(3600)] = 0.0
    #: when > 0, the process exits after this many matched requests (to exercise restarts)
    crash_after_requests: _Count = 0
    #: when > 0, the first this-many matched requests of each replica are served without errors or added
    #: latency: a fault that appears under sustained load (e.g. after the smoke tests), not at once
    faults_after_requests: _Count = 0
    #: mixed with the replica name, so runs are reproducible while replicas differ
    seed: _Count = 0

    @model_validator(mode="after")
    def _degrade_needs_errors(self) -> FaultProfile:
        if self.degrade_s > 0 and self.error_rate <= 0:
            raise PydanticCustomError("degrade_without_errors", "degrade_s is set but error_rate is 0")
        return self

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
        return self.model_dump(mode="json", exclude_defaults=True)

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
    def from_dict(cls, data: object, *, source: str = "fault profile", where: str = "") -> FaultProfile:
        """Validate a mapping of profile fields; errors are one line naming the source and the key."""
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: {where or 'the profile'} must be a mapping of fault settings "
                f"(got {type(data).__name__}).",
                hint=f"use keys from: {', '.join(cls.model_fields)}.",
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise _one_line(exc.errors()[0], source, f"{where}." if where else "") from None


def _one_line(error: Mapping[str, Any], source: str, prefix: str) -> ConfigError:
    """The first of pydantic's errors as the one line the sandbox shows (file or variable, key, fix)."""
    if error["type"] == "degrade_without_errors":
        return ConfigError(
            f"{source}: {prefix}degrade_s is set but {prefix}error_rate is 0, so nothing would degrade.",
            hint=f"set {prefix}error_rate to the error rate reached after degrade_s seconds.",
        )
    key = f"{prefix}{error['loc'][0]}"
    if error["type"] == "extra_forbidden":
        return ConfigError(
            f"{source}: unknown key {key}.", hint=f"use one of: {', '.join(FaultProfile.model_fields)}."
        )
    expect = FaultProfile.model_fields[str(error["loc"][0])].description or "valid"
    if error["type"] in _RANGE_ERRORS:
        expect = expect.removeprefix("a number ")
    return ConfigError(f"{source}: {key} must be {expect} (got {error['input']!r}).", hint=f"correct {key}.")


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

    def as_tag(self) -> ImageTag:
        return ImageTag(**{f.name: getattr(self, f.name) for f in fields(ImageTag)})


def _tag(tag: str, created: str, description: str, **faults: Any) -> tuple[str, datetime, str, FaultProfile]:
    return tag, datetime.fromisoformat(f"{created}:00+00:00"), description, FaultProfile(**faults)


_CRASH = (
    "Application startup failed: required environment variable AZURE_OPENAI_DEPLOYMENT_VERSION is not set"
)

#: the built-in tags: (tag, created, description, profile); healthy ones first, older ones older
BUILTIN_TAGS: tuple[tuple[str, datetime, str, FaultProfile], ...] = (
    _tag("v1.2.0", "2024-01-16T09:00", "older release"),
    _tag("v1.2.1", "2024-02-06T09:00", "older release"),
    _tag("v1.2.2", "2024-02-27T09:00", "baseline release (what production runs)"),
    _tag("v1.2.3", "2024-03-19T09:00", "the new release"),
    _tag("v1.2.4-errors10", "2024-03-26T10:00",
         "10% of API requests answer 500 (DatabaseTimeoutError)", error_rate=0.1),
    _tag("v1.2.4-errors2", "2024-03-26T10:05",
         "2% of API requests answer 500 (DatabaseTimeoutError)", error_rate=0.02),
    _tag("v1.2.4-slow", "2024-03-26T10:10",
         "20% of API requests take 2.5 s longer", latency_ms=2500, latency_share=0.2),
    _tag("v1.2.4-crash", "2024-03-26T10:15", "exits at start with a configuration error (never ready)",
         crash_at_start=True, crash_message=_CRASH),
    _tag("v1.2.4-notready", "2024-03-26T10:20",
         "/health/ready reports the database unhealthy (503)", readiness_fail=True),
    _tag("v1.2.4-slowstart", "2024-03-26T10:25", "waits 5 s before binding its port", slow_start_s=5.0),
    _tag("v1.2.4-degrade", "2024-03-26T10:30",
         "error rate ramps from 0 to 20% over the first 60 s (a leak)", error_rate=0.2, degrade_s=60.0),
    _tag("v1.2.4-crashloop", "2024-03-26T10:35",
         "the process dies after every 25 API requests (restarts)", crash_after_requests=25),
)  # fmt: skip


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

    @property
    def custom_file(self) -> Path:
        return self.home / "registry" / "custom-tags.json"

    def _spec(self, tag: str, created: datetime, description: str, profile: FaultProfile) -> ImageSpec:
        return ImageSpec(
            repository=self.repository,
            tag=tag,
            image=f"{self.server}/{self.repository}:{tag}",
            digest=_digest(self.repository, tag, profile),
            created=created,
            profile=profile,
            description=description or "; ".join(profile.effects()) or "healthy",
        )

    def _store(self) -> dict[str, Any]:
        """The custom tag store of every repository: {repository: {tag: entry}}."""
        try:
            data = read_json(self.custom_file, {})
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{self.custom_file}: the custom tag store cannot be read ({exc}).",
                hint="delete it and add the custom tags again with add_from_file().",
            ) from None
        return data if isinstance(data, dict) else {}

    def specs(self) -> list[ImageSpec]:
        """Every tag, newest first (like `az acr repository show-tags --orderby time_desc`)."""
        out = [self._spec(tag, created, text, profile) for tag, created, text, profile in BUILTIN_TAGS]
        for tag, entry in self._store().get(self.repository, {}).items():
            profile = FaultProfile.from_dict(
                entry.get("profile", {}), source=str(self.custom_file), where=tag
            )
            created = datetime.fromisoformat(entry["created"])
            out.append(self._spec(tag, created, entry.get("description", ""), profile))
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
            name = f"{self.server}/{self.repository}"
            raise NotFoundError(
                f"image {image!r} is not in the sandbox registry {self.server}/{self.repository}.",
                hint=f"use {name}:<tag>, e.g. {name}:v1.2.3",
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
        store = self._store()  # fails clearly on a corrupt store before replacing it
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
        write_json(self.custom_file, store)
        return [self.get(tag) for tag in staged]
