"""A procedure's frame: `apexops.finish(proc)` closes it, `apexops.parameters()` shows its parameters cell,
`apexops.connect` starts it; showing the context writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import apexops
from apexops import display, kernel, procedure
from apexops.errors import RolloutError
from apexops.status import Status, Verdict


@pytest.fixture
def shown(monkeypatch) -> list[dict]:
    bundles: list[dict] = []
    monkeypatch.setattr(display, "_display", lambda bundle, **kw: bundles.append(dict(bundle)))
    return bundles


@pytest.fixture(autouse=True)
def _fresh_interactive_run(monkeypatch):
    monkeypatch.setattr(kernel, "_interactive_id", None)
    monkeypatch.setattr(kernel, "_interactive_env", None)


@dataclass
class Proc:
    result: Any
    known: dict[str, Any] = field(default_factory=lambda: {"new_revision": "app--v2", "weight": 10})

    def verdict(self) -> Any:
        return self.result

    def facts(self) -> dict[str, Any]:
        return self.known


# --------------------------------------------------------------------------- finish


def test_finish_records_the_facts_and_the_verdict_and_shows_it(shown):
    apexops.finish(Proc(Verdict(Status.PASS, ("v2 healthy",))))
    assert kernel.facts() == {
        "new_revision": "app--v2", "weight": 10, "verdict": {"status": "PASS", "reasons": ["v2 healthy"]}
    }  # fmt: skip
    (banner,) = shown
    assert banner["text/plain"] == Verdict(Status.PASS, ("v2 healthy",)).text()
    assert "#1b5e20" in banner["text/html"]  # the status map's green


def test_a_failed_verdict_is_recorded_shown_and_then_raised_with_its_hint(shown):
    failed = Verdict(Status.FAIL, ("v2 never got healthy",), hint="run 80", title="deployment failed",
                     error=RolloutError)  # fmt: skip
    with pytest.raises(RolloutError, match="deployment failed: v2 never got healthy") as err:
        apexops.finish(Proc(failed))
    assert err.value.hint == "run 80"
    assert kernel.facts()["verdict"] == {"status": "FAIL", "reasons": ["v2 never got healthy"]}
    # shown once, here, as the kind of stop its error is; the kernel's stop handler will not show it again
    (banner,) = shown
    assert banner["text/plain"] == (
        "VERDICT: FAILED\ndeployment failed\n  - v2 never got healthy\nHINT: run 80"
    )
    assert 'data-status="FAIL"' in banner["text/html"] and 'data-stop="failed"' in banner["text/html"]
    assert getattr(err.value, "apexops_verdict_shown", False)


def test_a_warning_does_not_stop_the_run(shown):
    apexops.finish(Proc(Verdict(Status.WARN, ("slow",))))
    assert kernel.facts()["verdict"]["status"] == "WARN"


def test_verdict_parts_reads_a_status_verdict():
    assert display.verdict_parts(Verdict(Status.INCONCLUSIVE, ("no traffic",))) == (
        "INCONCLUSIVE",
        ["no traffic"],
    )
    assert display.verdict_parts(Verdict(Status.PASS, ("a",)), ["b"]) == ("PASS", ["b"])


# --------------------------------------------------------------------------- parameters


@pytest.fixture
def shell():
    """An IPython shell in this process, as a kernel has one; cleared afterwards."""
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    yield sh
    InteractiveShell.clear_instance()


def test_parameters_are_read_from_the_parameters_cell_as_it_ran(shell):
    shell.run_cell(
        'env = "local"  # environment\ndry_run: bool = True\nrevision = ""\napproval = ""', store_history=True
    )
    shell.run_cell('# Parameters\nrevision = "app--v2"\n', store_history=True)  # papermill's injected cell
    shell.run_cell("import apexops\nscratch = 1\nrevision_upper = revision.upper()", store_history=True)
    assert apexops.parameters() == {"dry_run": True, "revision": "app--v2"}
    assert apexops.parameters(exclude=()) == {"env": "local", "dry_run": True, "revision": "app--v2",
                                              "approval": ""}  # fmt: skip


def test_outside_a_kernel_there_are_no_parameters():
    assert apexops.parameters() == {}


@pytest.mark.parametrize(
    ("source", "names"),
    [
        (
            'env = "local"\nrounds: int = 2\nratio = -0.5\nitems = [1, "a"]\nnone = None',
            ["env", "rounds", "ratio", "items", "none"],
        ),
        ("", []),
        ('env = "local"\nprint(env)', []),  # a call: not a parameters cell
        ("env = get_env()", []),  # a value that is not a literal
        ("a, b = 1, 2", []),  # not one name
        ("x: int", []),  # annotation without a value
        ("def f(:", []),  # not Python
    ],
)
def test_a_parameters_cell_is_nothing_but_literal_assignments(source, names):
    assert procedure.literal_assignments(source) == names


# --------------------------------------------------------------------------- the start


def test_showing_the_context_writes_no_run_state(shown, tmp_path):
    display.show_context("staging", {"dry_run": True})
    assert kernel._interactive_env is None and kernel.facts() == {}
    assert kernel.run_context().env == ""


def test_connect_tells_an_interactive_run_its_environment():
    target = apexops.connect("local")
    assert target.settings.environment == "local"
    assert kernel.run_context().env == "local"
