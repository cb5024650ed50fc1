"""Procedure 10: the runbook's Infrastructure Deployment (validate, what-if review, gated deploy, outputs,
inventory) against the Deployments port, with the APEX template shipped as ARM JSON.

    from apexops.infra import InfraProcedure
    proc = InfraProcedure(env, image_tag="", acknowledge="", dry_run=True, evidence_dir=apexops.evidence())
    proc.prepare(); proc.validate(); review = proc.what_if(); ...
"""

from __future__ import annotations

from apexops.infra.procedure import InfraProcedure

__all__ = ["InfraProcedure"]
