"""`import apexops` stays light: none of the heavy stacks load until a procedure needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "papermill",
    "pandas",
    "plotly",
    "pydantic",
    "fastapi",
    "azure",
    "nbconvert",
    "sqlalchemy",
    "IPython",
)


def test_import_apexops_pulls_in_no_heavy_module():
    code = (
        "import json, sys\nimport apexops\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_notebook_helpers_are_reachable_from_the_package():
    code = (
        "import json, sys\nimport apexops\n"
        "import os\nos.environ.pop('APEXOPS_OUTPUTS', None)\nctx = apexops.run_context()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r}}})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []  # run_context (and record/evidence) stay light too


def test_connect_stays_the_function_after_every_submodule_is_imported():
    """`apexops.connect(env)` is what notebooks call; importing a submodule must not shadow it."""
    code = (
        "import apexops, importlib\n"
        "for m in ('apexops.environment', 'apexops.settings', 'apexops.kernel',\n"
        "          'apexops.sandbox.adapters'):\n"
        "    importlib.import_module(m)\n"
        "assert callable(apexops.connect) and apexops.connect.__name__ == 'connect', apexops.connect\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
