"""`running_sandbox(home, **overrides)`: an isolated, running sandbox for a test or a notebook test run.

    with running_sandbox(tmp_path, app={"min_replicas": 1}) as (settings, env):
        env.app.show()

It points APEXOPS_SANDBOX_HOME at `home` and APEXOPS_SANDBOX_PORT at a free port for the duration (so
subprocesses such as papermill kernels find the same sandbox), brings the sandbox up, yields the settings
and the wired `Environment`, and always brings it down again, checking that no process is left. The daemon
is also told to exit by itself if this process dies, so even a killed test run leaves nothing behind.

Keyword overrides replace settings sections field by field, e.g. `app={"health_timeout_s": 5}`,
`sandbox={"baseline_image_tag": "v1.2.3"}`; `env` picks the parameters file (default "local");
`options` tunes the daemon (`DaemonOptions` or a dict, e.g. {"scale_idle_s": 2}).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from apexops.errors import ConfigError
from apexops.sandbox import lifecycle
from apexops.sandbox.adapters import build_environment
from apexops.sandbox.daemon import DaemonOptions
from apexops.sandbox.supervisor import free_port
from apexops.settings import Settings, load_settings

if TYPE_CHECKING:
    from apexops.environment import Environment

__all__ = ["apply_overrides", "running_sandbox"]

_ENV_VARS = ("APEXOPS_SANDBOX_HOME", "APEXOPS_SANDBOX_PORT")


def apply_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """A copy of `settings` with sections updated field by field (validated like the YAML file)."""
    data = settings.model_dump()
    for key, value in overrides.items():
        if key not in data:
            raise ConfigError(
                f"unknown settings section {key!r} in overrides.",
                hint=f"use one of: {', '.join(sorted(data))}.",
            )
        if isinstance(value, Mapping) and isinstance(data[key], dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"override {where}: {first['msg']}.", hint=f"correct {where}.") from None


@contextlib.contextmanager
def running_sandbox(
    home: Path,
    *,
    env: str = "local",
    options: DaemonOptions | Mapping[str, Any] | None = None,
    port: int | None = None,
    **overrides: Any,
) -> Iterator[tuple[Settings, Environment]]:
    home = Path(home).resolve()
    port = port or free_port()
    saved = {k: os.environ.get(k) for k in _ENV_VARS}
    os.environ["APEXOPS_SANDBOX_HOME"] = str(home)
    os.environ["APEXOPS_SANDBOX_PORT"] = str(port)
    settings = None
    try:
        base = load_settings(env)
        sandbox = {
            **base.sandbox.model_dump(),
            **dict(overrides.pop("sandbox", {}) or {}),
            "home": str(home),
            "ingress_port": port,
        }
        settings = apply_overrides(base, {**overrides, "sandbox": sandbox})
        opts = options if isinstance(options, DaemonOptions) else DaemonOptions.from_dict(dict(options or {}))
        opts = replace(opts, owner_pid=os.getpid())
        lifecycle.up(settings, options=opts)
        yield settings, build_environment(settings)
    finally:
        try:
            if settings is not None:
                lifecycle.down(settings)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
