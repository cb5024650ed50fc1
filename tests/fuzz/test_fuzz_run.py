"""Fuzz `apexops run`: arguments, `-p` values, parameters files and notebooks (issue 14).

Whatever is given, the answer is exit 2 with one `error:` line and nothing written, or, for valid input, a
clean hand-over to the runner (stubbed: see fuzz_harness). Seeded (`derandomize=True`), so a run is
repeatable; together more than 300 generated cases, in well under a minute.
"""

from __future__ import annotations

import json
import math
import shutil

from fuzz_harness import NOTEBOOKS, PARAMETERS, case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def fuzz(examples: int) -> settings:
    """Seeded (derandomize), no deadline (the first case imports papermill), no example database."""
    return settings(
        derandomize=True,
        deadline=None,
        max_examples=examples,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


#: the procedures' numeric and boolean parameters, and a few that do not exist
NAMES = ["tail", "window_minutes", "health_timeout_s", "synthetic_load_rps", "kill_session",
         "lock_timeout_ms", "latency_requests", "p95_ms", "scale_pause_s", "dry_run", "require_sandbox",
         "revision", "image_tag", "cell_timeout_s", "env", "approval", "nope", "", "password",
         "tail "]  # fmt: skip
NUMBER_TEXT = st.one_of(
    st.sampled_from(["nan", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "0", "-0", "-1", "-5",
                     "1e3", "0x10", "1_000", "", " ", "true", "None", "[1, 2]", "{a: 1}", "5000", "5001",
                     "10080.5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)  # fmt: skip
VALUE_TEXT = st.one_of(NUMBER_TEXT, st.text(max_size=30))
PAIR = st.one_of(
    st.tuples(st.sampled_from(NAMES), VALUE_TEXT).map(lambda nv: f"{nv[0]}={nv[1]}"),
    st.text(max_size=20),  # not even name=value
)
PROCEDURE = st.one_of(st.sampled_from(["00", "20", "30", "50", "70", "80", "90", "99", "", "0", "80-"]),
                      st.text(max_size=12))  # fmt: skip
ENV = st.one_of(
    st.sampled_from(["local", "staging", "prod", "qa", "LOCAL", "", "../local"]), st.text(max_size=8)
)
TIMEOUT = st.one_of(st.none(), NUMBER_TEXT)
EXTRA = st.lists(st.sampled_from(["--bogus", "-x", "--env", "--parent", "p", "--", "-p"]), max_size=2)


@fuzz(110)
@given(procedure=PROCEDURE, env=ENV, pairs=st.lists(PAIR, max_size=3), timeout=TIMEOUT, extra=EXTRA)
def test_fuzzed_run_arguments(procedure, env, pairs, timeout, extra):
    with case() as c:
        args = ["run", procedure, "--env", env, *[a for p in pairs for a in ("-p", p)]]
        args += [] if timeout is None else [f"--cell-timeout={timeout}"]
        args += extra
        c.run(args).check()


@fuzz(90)
@given(
    procedure=st.sampled_from(["20", "30", "40", "50", "70", "80", "90"]),
    pairs=st.lists(st.tuples(st.sampled_from(NAMES[:14]), NUMBER_TEXT), min_size=1, max_size=3),
)
def test_fuzzed_parameter_values(procedure, pairs):
    with case() as c:
        args = ["run", procedure, *[a for n, v in pairs for a in ("-p", f"{n}={v}")]]
        c.run(args).check()
        for name, value in pairs:  # a value that is not a finite number is never handed to the runner
            if c.code == 0 and name in c.accepted[0]["parameters"]:
                given_value = c.accepted[0]["parameters"][name]
                if isinstance(given_value, float):
                    assert math.isfinite(given_value), (name, value)


LOCAL = (PARAMETERS / "local.yaml").read_text()
SCALAR = st.one_of(
    st.sampled_from([".nan", ".inf", "-.inf", "-1", "0", "~", "''", "[]", "{}", "*x", "&x 1", "!!python/none",
                     "yes", "0x1F", "1e400", "'Password=hunter2hunter2;'", "https://u:hunter22@h/x", "\t"]),
    st.text(max_size=15),
)  # fmt: skip


@st.composite
def parameters_files(draw) -> bytes:
    """local.yaml with one line's value replaced, a line dropped or duplicated, a fragment or bytes added."""
    lines = LOCAL.splitlines()
    i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    how = draw(st.sampled_from(["value", "drop", "duplicate", "insert", "truncate", "bytes", "text"]))
    if how == "value" and ":" in lines[i]:
        key = lines[i].split(":", 1)[0]
        lines[i] = f"{key}: {draw(SCALAR)}"
    elif how == "drop":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "insert":
        lines.insert(
            i, draw(st.sampled_from(["a: &a [x, x]", "b: [*a, *a]", "c: &c [*c]", "  - -", "? [a]", "%"]))
        )
    elif how == "truncate":
        return "\n".join(lines).encode()[: draw(st.integers(min_value=0, max_value=len(LOCAL)))]
    elif how == "bytes":
        return "\n".join(lines).encode() + draw(st.binary(min_size=1, max_size=8))
    elif how == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    return "\n".join(lines).encode()


@fuzz(80)
@given(content=parameters_files(), folder=st.booleans())
def test_fuzzed_parameters_files(content, folder):
    with case() as c:
        params = c.root / "parameters"
        params.mkdir()
        for env in ("staging", "prod"):
            shutil.copy(PARAMETERS / f"{env}.yaml", params)
        target = params / "local.yaml"
        if folder and not content:
            target.mkdir()  # a folder where the file should be
        else:
            target.write_bytes(content)
        c.run(["run", "00"], env={"APEXOPS_PARAMETERS": str(params)}).check()


GOOD = (NOTEBOOKS / "00-preflight.ipynb").read_text()


@st.composite
def notebooks(draw) -> bytes:
    """The preflight notebook torn, with a wrong nbformat, its cells replaced, or random bytes."""
    how = draw(st.sampled_from(["truncate", "nbformat", "cells", "source", "bytes", "json"]))
    data = json.loads(GOOD)
    if how == "truncate":
        return GOOD.encode()[: draw(st.integers(min_value=0, max_value=len(GOOD) - 1))]
    if how == "nbformat":
        data["nbformat"] = draw(st.one_of(st.integers(-2, 6), st.text(max_size=3), st.none()))
    elif how == "cells":
        data["cells"] = draw(st.one_of(st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
                                       st.just([{"cell_type": "code"}]), st.just([{}])))  # fmt: skip
    elif how == "source":
        data["cells"][0]["source"] = draw(
            st.one_of(st.integers(), st.none(), st.lists(st.integers(), max_size=2))
        )
    elif how == "bytes":
        return draw(st.binary(max_size=64))
    else:
        leaves = st.none() | st.integers() | st.text(max_size=4)
        return json.dumps(
            draw(st.recursive(leaves, lambda x: st.lists(x, max_size=3), max_leaves=6))
        ).encode()
    return json.dumps(data).encode()


@fuzz(60)
@given(content=notebooks())
def test_fuzzed_notebooks(content):
    with case() as c:
        folder = c.root / "notebooks"
        folder.mkdir()
        (folder / "01-fuzzed.ipynb").write_bytes(content)
        c.run(["run", "01", "--notebooks", str(folder)]).check()
