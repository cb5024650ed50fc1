"""The CI templates (examples/ci/) as a CI author copies them: valid against their official schemas, signed in
by workload identity federation with no secret, running `apexops run 90` with the CI reports, keeping
outputs/; and their run line, pointed at the sandbox and a cheap procedure, producing JUnit XML and a job
summary that CI test reporters read.

The schemas are check-jsonschema's vendored ones (`vendor.github-workflows` from SchemaStore, and
`vendor.azure-pipelines`, Microsoft's own), run offline through its CLI as a CI author would. No JUnit XSD
ships with any installed package, so the XML is checked for the structure GitHub's and Azure DevOps' JUnit
readers use: `<testsuites>` / `<testsuite>` with tests/failures/errors/skipped counts that match its
`<testcase>` children, each with classname, name and time; `<failure message type>`, `<skipped message>`.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from foundation_helpers import FIXTURES
from typer.testing import CliRunner

from apexops.cli import app
from apexops.ledger import Ledger, canonical_line, line_digest

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
AZURE = ROOT / "examples" / "ci" / "azure-pipelines.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


@pytest.mark.parametrize(
    ("template", "schema"),
    [(GITHUB, "vendor.github-workflows"), (AZURE, "vendor.azure-pipelines")],
    ids=["github", "azure"],
)
def test_the_templates_validate_against_their_official_schemas(template, schema):
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(template)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_schema_check_can_fail():
    """The same check on a workflow with a wrong key fails: the validation above is not vacuous."""
    broken = yaml.safe_load(GITHUB.read_text())
    broken["jobs"]["release"]["stepz"] = broken["jobs"]["release"].pop("steps")
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", "-"],
        input=yaml.safe_dump(broken),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0


SECRETISH = re.compile(r"client-secret|AZURE_CLIENT_SECRET|clientSecret|secrets\.", re.IGNORECASE)


def _scripts(node):
    """Every string in a parsed template (the steps' scripts among them)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _scripts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _scripts(value)
    elif isinstance(node, str):
        yield node


def _run_line(template: Path) -> str:
    """The template's `apexops run 90 ...` command, as one line (shell continuations joined)."""
    for script in _scripts(yaml.safe_load(template.read_text())):
        for line in script.replace("\\\n", " ").splitlines():
            if "apexops run 90" in line:
                return " ".join(line.split())
    raise AssertionError(f"no `apexops run 90` line in {template}")


@pytest.mark.parametrize("template", [GITHUB, AZURE], ids=["github", "azure"])
def test_the_templates_release_on_staging_with_the_ci_reports_and_no_secret(template):
    text = template.read_text()
    line = _run_line(template)
    for part in ("--env staging", "-p dry_run=false", '-p approval="$APPROVAL"', "--outputs outputs"):
        assert part in line, line
    assert "--junit-xml outputs/junit.xml" in line and "--summary-md outputs/summary.md" in line
    assert not SECRETISH.search(text), SECRETISH.search(text)
    assert "pip install -e '.[dev" in text  # the README's setup


def test_github_signs_in_by_federation_and_keeps_the_record_on_failure():
    wf = yaml.safe_load(GITHUB.read_text())
    assert wf["permissions"]["id-token"] == "write"
    job = wf["jobs"]["release"]
    assert job["environment"] == "staging"  # required reviewers
    steps = {s.get("uses", "").split("@")[0] or s.get("name"): s for s in job["steps"]}
    login = steps["azure/login"]["with"]
    assert set(login) == {"client-id", "tenant-id", "subscription-id"}
    upload = steps["actions/upload-artifact"]
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "outputs"
    report = steps["mikepenz/action-junit-report"]
    assert report["if"] == "always()" and report["with"]["report_paths"] == "outputs/junit.xml"
    summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()" and "outputs/summary.md" in summary["run"]
    assert "approval" in wf[True]["workflow_dispatch"]["inputs"]  # yaml reads the key `on` as True


def test_azure_signs_in_by_federation_and_keeps_the_record_on_failure():
    pipeline = yaml.safe_load(AZURE.read_text())
    (job,) = pipeline["stages"][0]["jobs"]
    assert job["environment"]  # its Approvals check
    steps = job["strategy"]["runOnce"]["deploy"]["steps"]
    by_task = {s["task"].split("@")[0]: s for s in steps if "task" in s}
    cli = by_task["AzureCLI"]
    assert cli["inputs"]["azureSubscription"] and "apexops run 90" in cli["inputs"]["inlineScript"]
    assert "addSpnToEnvironment" not in cli["inputs"]  # nothing credential-like reaches the script
    tests = by_task["PublishTestResults"]
    assert tests["condition"] == "always()" and tests["inputs"]["testResultsFormat"] == "JUnit"
    assert tests["inputs"]["testResultsFiles"] == "outputs/junit.xml"
    artifact = by_task["PublishPipelineArtifact"]
    assert artifact["condition"] == "always()" and artifact["inputs"]["targetPath"] == "outputs"
    summary = next(s for s in steps if "task.uploadsummary" in s.get("script", ""))
    assert summary["condition"] == "always()" and "outputs/summary.md" in summary["script"]


# --------------------------------------------------------------------------- the run line, end to end


def _local_command(outputs: Path, procedure: str, *extra: str) -> list[str]:
    """The GitHub template's run line, pointed at the sandbox and a cheap procedure: `90 --env staging` ->
    `<procedure> --env local`, 90's own parameters dropped, the report paths inside the test's folder."""
    words = shlex.split(_run_line(GITHUB))
    out: list[str] = [sys.executable, "-m", "apexops"]
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
            continue
        if word == "-p":
            skip = True
            continue
        out.append(word)
    command = " ".join(out).replace("run 90", f"run {procedure}").replace("--env staging", "--env local")
    command = command.replace("outputs/", f"{outputs}/").replace("--outputs outputs", f"--outputs {outputs}")
    return [*command.split(" "), *extra]


def _junit(path: Path) -> ET.Element:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        assert int(suite.get(key)) == sum(1 for c in cases if c.find(tag) is not None), key
        assert root.get(key) == (suite.get(key) if key != "skipped" else None)
    assert int(suite.get("tests")) == len(cases) > 0
    for case in cases:
        assert case.get("classname") and case.get("name")
        float(case.get("time"))
    float(suite.get("time"))
    return suite


def _properties(suite: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in suite.find("properties").findall("property")}


@pytest.mark.notebook
@pytest.mark.slow
def test_the_template_run_line_writes_junit_and_a_summary(tmp_path):
    outputs = tmp_path / "outputs"
    command = _local_command(outputs, "00")
    assert command[3:7] == ["run", "00", "--env", "local"], command
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, env={**os.environ})
    assert result.returncode == 0, result.stdout + result.stderr
    (entry,) = Ledger(outputs).entries()

    suite = _junit(outputs / "junit.xml")
    props = _properties(suite)
    assert props["run_id"] == entry["run_id"] and props["procedure"] == "00-preflight"
    assert props["env"] == "local" and props["outcome"] == "succeeded" and props["operator"]
    assert props["ledger_line_sha256"] == line_digest(canonical_line(entry))
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names[0] == "0. parameters and context" and "1. Tools and packages" in names and "Verdict" in names
    assert all(c.find("failure") is None for c in suite.findall("testcase"))

    summary = (outputs / "summary.md").read_text()
    assert summary.startswith("## ✅ 00-preflight on local: succeeded (exit 0)")
    assert (
        entry["run_id"] in summary and "### Verdict: " in summary and "- **preflight.verdict**: " in summary
    )
    assert f"apexops runs verify --outputs {outputs.name}" in summary
    assert Ledger(outputs).verify().ok  # the reports sit beside the record, not in a run folder


@pytest.mark.notebook
def test_a_stopped_run_is_a_failed_test_with_its_reason_and_hint_then_skipped_steps(tmp_path):
    """The run line against the gated fixture without the phrase: exit 3, the gate step failed with the
    reason and the hint, the steps after it skipped; the summary names the error."""
    outputs = tmp_path / "outputs"
    command = _local_command(outputs, "08", "-p", "dry_run=false", "--notebooks", str(FIXTURES))
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 3, result.stdout + result.stderr
    suite = _junit(outputs / "junit.xml")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failure = cases["2. Check"].find("failure")
    assert failure.get("type") == "ApprovalRequired"
    assert "was not approved" in failure.get("message") and "HINT:" not in failure.get("message")
    assert 'HINT: pass -p approval="DEPLOY v1.2.3 TO local"' in failure.text
    assert cases["3. Apply"].find("skipped").get("message") == "not run: the run stopped at 2. Check"
    assert _properties(suite)["exit_code"] == "3"
    summary = (outputs / "summary.md").read_text()
    assert summary.startswith("## ❌ 08-gated on local: failed (exit 3)")
    assert "HINT: pass -p approval=" in summary and "- skipped: 3. Apply" in summary


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (lambda tmp: (tmp / "a-file").write_text("x") and tmp / "a-file" / "junit.xml", "is not a folder"),
        (lambda tmp: tmp, "is a folder"),
    ],
    ids=["under-a-file", "a-folder"],
)
def test_a_bad_report_path_is_one_line_and_exit_2_before_the_run(tmp_path, make, expect):
    path = make(tmp_path)
    outputs = tmp_path / "outputs"
    args = ["run", "01", "--notebooks", str(FIXTURES), "--outputs", str(outputs), "--junit-xml", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"--junit-xml {path}" in result.output and expect in result.output and "HINT:" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not outputs.exists()  # nothing ran


@pytest.mark.notebook
def test_an_interrupted_run_still_writes_its_reports(tmp_path):
    """SIGTERM (a cancelled CI job) during a step: the run is recorded as interrupted and both files say so,
    the running step failed with how it ended, the steps after it not run."""
    outputs = tmp_path / "outputs"
    command = _local_command(outputs, "03", "-p", "seconds=120", "--notebooks", str(FIXTURES))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    facts: list[Path] = []
    while time.monotonic() < deadline and not facts:  # wait until the long step is running
        facts = [
            p for p in outputs.glob("runs/*/*_running_*/.apexops-facts.json") if "before" in p.read_text()
        ]
        time.sleep(0.2)
    assert facts, "the run never reached its long step"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    suite = _junit(outputs / "junit.xml")
    assert _properties(suite)["outcome"] == "interrupted"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failure = cases["2. Long step"].find("failure")
    assert (
        failure is not None and "SIGTERM" in failure.get("message") and failure.get("type") == "interrupted"
    )
    assert cases["3. After"].find("skipped") is not None
    assert (outputs / "summary.md").read_text().startswith("## ⏹️ 03-sleeps on local: interrupted (exit 130)")


def test_a_run_that_could_not_start_still_gives_ci_its_files(tmp_path):
    """An error before the run was recorded (the folder could not be written, ...): one error test case
    and a summary naming the error and its hint, never a missing file."""
    from apexops.cireport import RunReport, write_reports

    report = RunReport(
        procedure="90-release",
        env="staging",
        outcome="failed",
        exit_code=1,
        error="ApexopsError: the run did not start: cannot write its folder HINT: free disk space",
        outputs=tmp_path / "outputs",
    )
    junit, summary = tmp_path / "ci" / "junit.xml", tmp_path / "ci" / "summary.md"
    assert write_reports(report, junit=junit, summary=summary) == [junit, summary]
    suite = _junit(junit)
    (case,) = suite.findall("testcase")
    assert case.find("error").get("message").startswith("ApexopsError: the run did not start")
    assert "\nHINT: free disk space" in case.find("error").text
    text = summary.read_text()
    assert text.startswith("## ❌ 90-release on staging: failed (exit 1)") and "HINT: free disk space" in text
