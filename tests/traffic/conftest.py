"""Shared helpers for the traffic tests: an isolated sandbox per module, revisions, runs, notebook text.

Notebook runs go through `apexops.runner.run_procedure` exactly as `apexops run` does, so their kernels load
parameters/local.yaml (the compressed local canary policy with synthetic users): what is tested is what an
operator rehearses.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from executed import notebook_text

from apexops.models import AppUpdate

sys.path.insert(0, str(Path(__file__).parent))  # traffic_helpers, imported by name


@contextlib.contextmanager
def isolated_sandbox(base: Path, parameters: Path | None = None):
    """A running sandbox in `base/home`, outputs in `base/outputs` (APEXOPS_OUTPUTS for the kernels);
    `parameters`: a parameters folder of the test's own (APEXOPS_PARAMETERS, for the kernels too)."""
    from apexops.sandbox.testing import running_sandbox

    names = ("APEXOPS_OUTPUTS", "APEXOPS_PARAMETERS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["APEXOPS_OUTPUTS"] = str(base / "outputs")
    if parameters is not None:
        os.environ["APEXOPS_PARAMETERS"] = str(parameters)
    try:
        with running_sandbox(base / "home") as (settings, env):
            yield settings, env, base / "outputs"
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def new_revision(env, settings, tag: str, suffix: str, timeout_s: float = 30.0) -> str:
    """Create a revision of `tag` (0% traffic) and wait until it is healthy."""
    name = env.app.update(AppUpdate(image=settings.image(tag), revision_suffix=suffix)).latest_revision_name
    deadline = time.monotonic() + timeout_s
    while env.app.get_revision(name).health_state != "Healthy":
        assert time.monotonic() < deadline, f"{name} did not become healthy"
        time.sleep(0.1)
    return name


def serving(env) -> dict[str, int]:
    return {t.revision_name: t.weight for t in env.app.get_traffic() if t.weight}


def plotly_outputs(result) -> list[dict]:
    nb = json.loads(Path(result.notebook_path).read_text())
    return [
        o["data"]["application/vnd.plotly.v1+json"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One sandbox per test module: (settings, env, outputs)."""
    with isolated_sandbox(tmp_path_factory.mktemp("traffic")) as running:
        yield running


@pytest.fixture(scope="session")
def tools():
    return SimpleNamespace(
        new_revision=new_revision,
        serving=serving,
        text=notebook_text,
        plotly_outputs=plotly_outputs,
        isolated_sandbox=isolated_sandbox,
    )
