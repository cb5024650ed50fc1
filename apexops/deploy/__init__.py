"""Procedure 30: a new revision of the container app, verified before it gets any traffic.

    d = Deployment(env, "v1.2.3")
    d.check_image(); d.take_snapshot(apexops.evidence()); d.make_plan()   # nothing changed yet
    d.apply(); d.watch_health(on_status=...); d.verify(); d.troubleshoot()
    apexops.finish(d)                                                       # d.verdict(), d.facts()

The steps are small modules (image, snapshot, plan, apply, watch, verify, troubleshoot) usable alone.
"""

from __future__ import annotations

from apexops.deploy.procedure import Deployment

__all__ = ["Deployment"]
