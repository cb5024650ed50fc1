"""The optional capabilities Azure lacks, each refusing with the manual route: Azure is always on (no
`Lifecycle`) and a canary there is judged on real users (no `SyntheticLoad`)."""

from __future__ import annotations

from apexops import azcli
from apexops.errors import NotSupportedError
from apexops.ports import LoadRun, Reachability
from apexops.settings import Settings

__all__ = ["AzureLifecycle", "AzureSyntheticLoad"]


class AzureLifecycle:
    def __init__(self, settings: Settings) -> None:
        self._s = settings

    def reachability(self) -> Reachability:
        raise NotSupportedError(
            f"apexops does not start {self._s.environment}: Azure resources are always on.",
            hint=f"check the resource group ({azcli.group_show(self._s, oneline=True)}); "
            "create or repair it with 10-infrastructure.",
        )


class AzureSyntheticLoad:
    def __init__(self, settings: Settings) -> None:
        self._s = settings

    def ensure_available(self) -> None:
        raise NotSupportedError(
            f"synthetic load is for the sandbox only, {self._s.environment} runs on {self._s.target}.",
            hint="pass synthetic_load_rps=0 (the canary is judged on real users there).",
        )

    def start(self, rate: float, duration_s: float, *, seed: int | None = None) -> LoadRun:
        self.ensure_available()
        raise AssertionError("ensure_available always refuses")
