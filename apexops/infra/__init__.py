"""Procedure 10: the runbook's Infrastructure Deployment (validate, what-if review, gated deploy, outputs,
inventory) against the Deployments port, with the APEX template shipped as ARM JSON.

    from apexops.infra import InfraProcedure
    proc = InfraProcedure(env, image_tag="", acknowledge="", dry_run=True, evidence_dir=apexops.evidence())
    proc.prepare(); proc.validate(); review = proc.what_if(); ...
"""

from __future__ import annotations

from apexops.infra.inventory import Inventory, OutputsCheck, check_outputs, compare_inventory
from apexops.infra.procedure import InfraProcedure
from apexops.infra.review import RULES, DeploymentBlocked, Review, parse_acknowledge, review_changes
from apexops.infra.template import APEX_TEMPLATE, baseline_template, load_template, parameters_for

__all__ = [
    "APEX_TEMPLATE",
    "RULES",
    "DeploymentBlocked",
    "InfraProcedure",
    "Inventory",
    "OutputsCheck",
    "Review",
    "baseline_template",
    "check_outputs",
    "compare_inventory",
    "load_template",
    "parameters_for",
    "parse_acknowledge",
    "review_changes",
]
