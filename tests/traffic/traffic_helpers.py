"""Domain objects for the pure traffic tests (imported by name: conftest.py puts this folder on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apexops.models import Revision

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rev(name: str, minutes: int = 0, **kw) -> Revision:
    """A healthy, active revision of image `reg/apex:<suffix>`, created `minutes` after T0."""
    base = dict(
        name=name,
        active=True,
        traffic_weight=0,
        replicas=1,
        provisioning_state="Provisioned",
        health_state="Healthy",
        running_state="Running",
        created_time=T0 + timedelta(minutes=minutes),
        fqdn="",
        url="",
        image=f"reg/apex:{name.partition('--')[2] or name}",
    )
    return Revision(**{**base, **kw})
