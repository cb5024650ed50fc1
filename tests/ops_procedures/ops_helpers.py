"""Doubles and helpers for the ops-procedures tests (10 infrastructure, 70 emergency, 80 troubleshooting).

Imported as `ops_helpers` (conftest puts this folder on sys.path, as tests/foundation does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from apexops.errors import NotFoundError, NotSupportedError
from apexops.models import AppState, AppTemplate, ExecResult, Replica, Revision, TrafficWeight

T0 = datetime(2024, 3, 26, 10, 0, tzinfo=UTC)

#: `env.traits` of the two targets, for environment doubles (the fields procedures 10 and 70 read)
SANDBOX_TRAITS = SimpleNamespace(
    name="sandbox", has_subscription=False, deployments_change_running_app=False, exec_is_local=True
)
AZURE_TRAITS = SimpleNamespace(
    name="azure", has_subscription=True, deployments_change_running_app=True, exec_is_local=False
)


def revision(
    name: str,
    *,
    active: bool = True,
    weight: int = 0,
    health: str = "Healthy",
    running: str = "Running",
    provisioning: str = "Provisioned",
    replicas: int = 1,
    minutes: int = 0,
    min_replicas: int = 1,
    max_replicas: int = 2,
) -> Revision:
    tpl = AppTemplate(image=f"reg/apex:{name}", min_replicas=min_replicas, max_replicas=max_replicas)
    return Revision(
        name=name,
        active=active,
        traffic_weight=weight,
        replicas=replicas,
        provisioning_state=provisioning,
        health_state=health,
        running_state=running,
        created_time=T0 + timedelta(minutes=minutes),
        fqdn=f"{name}.local",
        url=f"http://{name}.local",
        image=tpl.image,
        template=tpl,
    )


def app_state(
    traffic: dict[str, int], *, running: str = "Running", name: str = "apex-backend-local"
) -> AppState:
    return AppState(
        name=name,
        resource_group="apex-rg-local",
        url="http://127.0.0.1:1",
        active_revisions_mode="Multiple",
        provisioning_state="Succeeded",
        running_status=running,
        latest_revision_name=None,
        latest_ready_revision_name=None,
        template=AppTemplate(image="reg/apex:v1"),
        traffic=tuple(TrafficWeight(k, v) for k, v in traffic.items()),
    )


class FakeApp:
    """A ContainerApp double for the recovery logic: revisions, replicas and traffic in memory.

    `restart()` replaces every replica of the active revisions with new ones, ready after `ready_after`
    polls (counted by list_replicas calls); `unhealthy` names revisions that never become healthy.
    """

    def __init__(
        self,
        revisions: Sequence[Revision],
        *,
        ready_after: int = 1,
        unhealthy: Sequence[str] = (),
        exec_supported: bool = True,
    ) -> None:
        self._gen = 0
        self.revs = {r.name: r for r in revisions}
        self.replicas: dict[str, list[Replica]] = {
            r.name: [self._replica(r.name, i) for i in range(r.replicas)] for r in revisions if r.active
        }
        self.traffic = [TrafficWeight(r.name, r.traffic_weight) for r in revisions if r.traffic_weight]
        self.ready_after, self.unhealthy, self.exec_supported = ready_after, set(unhealthy), exec_supported
        self.calls: list[str] = []
        self._polls: dict[str, int] = {}

    def _replica(self, rev: str, i: int, *, ready: bool = True) -> Replica:
        self._gen += 1
        return Replica(f"{rev}-r{self._gen}-{i}", rev, "Running", T0, 0, ready)

    def _refresh(self, name: str) -> None:
        self._polls[name] = self._polls.get(name, 0) + 1
        if self._polls[name] >= self.ready_after and name not in self.unhealthy:
            self.replicas[name] = [
                Replica(r.name, r.revision, r.running_state, r.created_time, 0, True)
                for r in self.replicas.get(name, [])
            ]

    def get_revision(self, name: str) -> Revision:
        if name not in self.revs:
            raise NotFoundError(f"revision {name} not found")
        r = self.revs[name]
        weight = next((w.weight for w in self.traffic if w.revision_name == name), 0)
        reps = self.replicas.get(name, [])
        health = (
            "Healthy"
            if reps and all(x.ready for x in reps) and name not in self.unhealthy
            else ("Unhealthy" if r.active else "None")
        )
        from dataclasses import replace

        return replace(r, traffic_weight=weight, replicas=len(reps), health_state=health)

    def list_revisions(self) -> list[Revision]:
        return [self.get_revision(n) for n in self.revs]

    def list_replicas(self, revision: str) -> list[Replica]:
        self._refresh(revision)
        return list(self.replicas.get(revision, []))

    def restart(self) -> None:
        self.calls.append("restart")
        for name, r in self.revs.items():
            if r.active:
                self.replicas[name] = [self._replica(name, i, ready=False) for i in range(max(1, r.replicas))]
                self._polls[name] = 0

    def activate_revision(self, name: str) -> None:
        from dataclasses import replace

        self.calls.append(f"activate {name}")
        self.revs[name] = replace(self.revs[name], active=True)
        self.replicas[name] = [self._replica(name, 0, ready=False)]
        self._polls[name] = 0

    def get_traffic(self) -> list[TrafficWeight]:
        return list(self.traffic)

    def set_traffic(
        self, weights: Sequence[TrafficWeight], *, on_progress: Any = None
    ) -> list[TrafficWeight]:
        self.calls.append("set_traffic " + ",".join(f"{w.revision_name}={w.weight}" for w in weights))
        self.traffic = list(weights)
        return list(self.traffic)

    def exec(self, revision: str, command: Sequence[str], *, timeout_s: float = 30.0) -> ExecResult:
        if not self.exec_supported:
            raise NotSupportedError("exec is not available through the SDK", hint="az containerapp exec ...")
        return ExecResult(revision, f"{revision}-r0", " ".join(command), 0, "DB_PASSWORD=hunter2\nOK=1")

    def show(self) -> AppState:
        return app_state({w.revision_name: w.weight for w in self.traffic})

    def scale_revision(self, name: str, min_replicas: int, max_replicas: int | None = None) -> Revision:
        """As on Azure: scaling in place is an optional capability this double lacks (tests replace it)."""
        raise NotSupportedError(
            f"scaling revision {name} in place is not available on this target.",
            hint="in multiple-revision mode `az containerapp update --min-replicas 0` creates a new revision "
            "that takes no traffic; restart, or activate a known good revision.",
        )


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s
