"""`apexops.connect(env)`: the one place that turns an environment name into wired adapters.

Notebooks call `connect("local" | "staging" | "prod")` and receive an `Environment` holding one adapter per
port. Which adapters depends only on `settings.target`; the targets are registered here by module path, so
the Azure SDKs are imported only when the Azure target is actually used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError, NotSupportedError
from apexops.settings import Settings, load_settings

if TYPE_CHECKING:
    from apexops.ports import (
        AuditStorage,
        BlobStore,
        ContainerApp,
        Database,
        Deployments,
        Identity,
        Lifecycle,
        PlatformMetrics,
        Registry,
        SyntheticLoad,
        Telemetry,
        Traits,
    )

__all__ = ["TARGETS", "Environment", "connect"]


@dataclass(frozen=True)
class Environment:
    """One environment, wired: its settings, an adapter for every port and its traits.

    `lifecycle` and `load` are optional capabilities: always present, raising NotSupportedError (with the
    manual step as hint) on a target that lacks them.
    """

    settings: Settings
    target: str
    app: ContainerApp
    telemetry: Telemetry
    registry: Registry
    identity: Identity
    blobs: BlobStore
    database: Database
    deployments: Deployments
    traits: Traits
    lifecycle: Lifecycle
    load: SyntheticLoad
    #: the platform's per-revision request metrics (the canary judge's fast stratum)
    platform_metrics: PlatformMetrics = field(default_factory=lambda: _Missing("platform metrics"))
    #: the shared deployment lock and audit trail (Blob Storage)
    audit_storage: AuditStorage = field(default_factory=lambda: _Missing("the shared audit storage"))

    @property
    def name(self) -> str:
        return self.settings.environment

    def __repr__(self) -> str:
        return f"Environment({self.name!r}, target={self.target!r}, app={self.settings.app.name!r})"


class _Missing:
    """A capability a target has not wired: every use raises NotSupportedError naming it."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotSupportedError(
            f"{self._what} is not available on this target.", hint="use the Azure portal or az CLI for it."
        )


#: target name -> "module:function" building an Environment from Settings; imported on first use
TARGETS: dict[str, str] = {
    "sandbox": "apexops.sandbox.adapters:build_environment",
    "azure": "apexops.azure:build_environment",
}


def _factory(target: str) -> Callable[[Settings], Environment]:
    try:
        spec = TARGETS[target]
    except KeyError:
        raise ConfigError(
            f"unknown target {target!r}.", hint=f"set target to one of {', '.join(sorted(TARGETS))}."
        ) from None
    module, _, func = spec.partition(":")
    factory: Callable[[Settings], Environment] = getattr(importlib.import_module(module), func)
    return factory


def connect(env: str = "local", *, settings: Settings | None = None) -> Environment:
    """Load `parameters/<env>.yaml` and wire the adapters of its target.

    Connecting does not change anything on the target; adapters contact it lazily, on first call.
    """
    settings = settings or load_settings(env)
    return _factory(settings.target)(settings)
