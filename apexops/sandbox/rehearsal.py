"""`apexops rehearse`: the whole release (procedure 90) on the sandbox, with a chosen thing going wrong.

    result = rehearse("canary-errors", say=print, on_event=show)
    result.ok          # the chain ended the way the scenario expects (a planned rollback that rolled back)

The sandbox's part of a rehearsal (the release's part, target-agnostic, is `apexops.release.rehearse`):
bring the sandbox up if it is not running; make sure it is at the baseline release (the database at
`sandbox.baseline_migration`, one revision of `sandbox.baseline_image_tag` serving 100%, nothing else
active) and reset it when it is not (a previous rehearsal leaves the new release, or a failed revision,
behind; a reset keeps the identity key and takes about two seconds); register the scenarios' custom images
in the sandbox's image catalogue; then run the rehearsal with the environment's compressed canary stages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from apexops import kernel
from apexops.environment import connect
from apexops.errors import ConfigError
from apexops.release.orchestrator import read_heads, read_traffic
from apexops.release.rehearse import RehearsalResult, Say, run_rehearsal
from apexops.release.scenarios import scenario
from apexops.sandbox import lifecycle
from apexops.sandbox.daemon import DaemonOptions
from apexops.sandbox.images import ImageCatalogue
from apexops.settings import Settings, load_settings

__all__ = [
    "SMOKE_FUNCTIONAL_REQUESTS",
    "baseline_problems",
    "prepare_sandbox",
    "rehearsal_images",
    "rehearse",
]

#: API requests the smoke suite sends besides its latency baseline (list, create, get, upload, get document,
#: validate, delete document, archive project), with a margin of two
SMOKE_FUNCTIONAL_REQUESTS = 10


def rehearsal_images(smoke_latency_requests: int) -> dict[str, Any]:
    """The custom tags the scenarios deploy, as `ImageCatalogue.add_from_file` reads them.

    The two canary images turn their faults on only after the first requests of each replica
    (`FaultProfile.faults_after_requests`), sized from the smoke suite's own request count (its latency
    baseline plus the functional checks), so 40 sees a healthy revision and the canary's load meets the
    fault within its first stage. That is a real class of bug (a pool or cache that breaks under sustained
    load) and it keeps the scenarios deterministic: they do not depend on how fast the smoke tests run.
    """
    warm_up = int(smoke_latency_requests) + SMOKE_FUNCTIONAL_REQUESTS
    return {
        "tags": {
            "v1.2.5-uploads-broken": {
                "description": "document uploads answer 500 (blob write path broken); health, reads fine",
                "error_rate": 1.0,
                "error_type": "BlobWriteError",
                "error_routes": ["/api/v1/documents/upload"],
            },
            "v1.2.5-errors-under-load": {
                "description": f"30% of API requests answer 500 after the first {warm_up} of each replica",
                "error_rate": 0.30,
                "faults_after_requests": warm_up,
            },
            "v1.2.5-slow-under-load": {
                "description": f"half the API requests take 2.5 s longer after the first {warm_up} of each "
                "replica",
                "latency_ms": 2500,
                "latency_share": 0.5,
                "faults_after_requests": warm_up,
            },
        }
    }


def baseline_problems(settings: Settings, env: Any) -> list[str]:
    """Why the sandbox is not at the baseline release ([] when it is)."""
    tag, migration = settings.sandbox.baseline_image_tag, settings.sandbox.baseline_migration
    problems = []
    revisions = env.app.list_revisions()
    traffic = read_traffic(env.app)
    serving = [r for r in revisions if traffic.get(r.name) == 100]
    if not serving or serving[0].image.rpartition(":")[2] != tag:
        shown = ", ".join(f"{k}={v}%" for k, v in traffic.items()) or "none"
        problems.append(f"traffic is {shown}, not the baseline {tag} at 100%")
    others = [r.name for r in revisions if r.active and r.name not in traffic]
    if others:
        problems.append(f"other active revisions: {', '.join(others)}")
    heads = read_heads(env)
    if heads != (migration,):
        problems.append(f"database at {','.join(heads) or 'no version'}, not the baseline {migration}")
    return problems


def prepare_sandbox(settings: Settings, *, say: Say, options: DaemonOptions | None = None) -> tuple[Any, str]:
    """Up if needed, at the baseline (reset if not), with the rehearsal images: (Environment, what's done)."""
    done = []
    if not lifecycle.probe(settings).running:
        say(f"starting the sandbox in {settings.sandbox_home()}")
        lifecycle.up(settings, options=options)
        done.append("started")
    env = connect(settings.environment)
    problems = baseline_problems(settings, env)
    if problems:
        say("the sandbox is not at the baseline release (" + "; ".join(problems) + "): resetting it")
        lifecycle.reset(settings, options=options)
        env = connect(settings.environment)
        still = baseline_problems(settings, env)
        if still:
            raise ConfigError(
                "the sandbox is not at the baseline after a reset: " + "; ".join(still) + ".",
                hint="check sandbox.baseline_image_tag / baseline_migration in parameters/local.yaml.",
            )
        done.append("reset to the baseline")
    else:
        done.append("at the baseline")
    folder = settings.sandbox_home() / "rehearsal"
    folder.mkdir(parents=True, exist_ok=True)
    images = folder / "images.yaml"
    images.write_text(
        "# written by `apexops rehearse`: the custom images its scenarios deploy\n"
        + yaml.safe_dump(rehearsal_images(settings.smoke.latency_requests), sort_keys=False),
        encoding="utf-8",
    )
    ImageCatalogue(
        settings.sandbox_home(), settings.registry.server, settings.app.image_repository
    ).add_from_file(images)
    return env, ", ".join(done)


def rehearse(
    name: str = "none",
    *,
    outputs: Path | None = None,
    say: Say | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    on_step: Say | None = None,
    on_traffic: Callable[[dict[str, int]], None] | None = None,
    options: DaemonOptions | None = None,
) -> RehearsalResult:
    """Prepare the sandbox and rehearse the scenario on it (see the module docstring).

    `say` gets the rehearsal's own lines; the other callbacks are `run_rehearsal`'s. Raises ConfigError
    before anything changes when the scenario is unknown or the local environment is not the sandbox; an
    interrupt is recorded and returned (exit code 130), not raised.
    """
    sc = scenario(name)
    tell: Say = say or (lambda _m: None)
    settings = load_settings("local")
    if settings.target != "sandbox":
        raise ConfigError(
            f"rehearsals run on the sandbox; parameters/local.yaml targets {settings.target}.",
            hint="set target: sandbox in parameters/local.yaml.",
        )
    out = kernel.outputs_root(outputs)
    env, prepared = prepare_sandbox(settings, say=tell, options=options)
    tell(f"sandbox: {prepared}")
    tell(f"scenario {sc.name}: {sc.title}")
    return run_rehearsal(
        sc, env, outputs=out, prepared=prepared, on_event=on_event, on_step=on_step, on_traffic=on_traffic
    )
