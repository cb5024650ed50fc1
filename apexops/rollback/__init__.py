"""Procedure 60, the runbook's Emergency Rollback to Previous Revision, as library code:

    target.py     which revision failed and which one to go back to (parameters, ledger, revisions)
    procedure.py  the steps the notebook's cells call (triggers, stop deployments, traffic, verify, database,
                  deactivate, smoke tests, evidence, communication)
    evidence.py   the rollback log, the telemetry excerpt, the user impact, the evidence bundle
    report.py     the communication draft and the root-cause-analysis template, rendered from the run's facts
    chart.py      the rollback triggers over time

Nothing here is imported by `import apexops`.
"""
