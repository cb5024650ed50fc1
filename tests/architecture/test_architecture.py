"""The architecture, checked on the source: no import cycles, short functions, closed ports, one vocabulary.

Every check reads `apexops/` with `ast` (nothing is imported) and names each offender, file and line, in
its assertion message, so each owner can see theirs:

- the import graph has no cycle: an edge A -> B when A imports B, or a name from B, anywhere in A (function
  level included; `if TYPE_CHECKING:` blocks excluded); `from apexops.x import y` with y a submodule is an
  edge to `apexops.x.y`;
- no function or method above cyclomatic complexity 25 (radon);
- nothing above the adapters knows its target: no `== "sandbox"` / `== "azure"` comparison and no import
  of `apexops.sandbox` / `apexops.azure` outside those packages and `apexops/environment.py`;
- no status word ("PASS", "FAIL", ...) as a string literal outside `apexops/status.py` (docstrings aside);
- no file written around the scrubber (issue 14): no `.write_text(` / `.write_bytes(` (but `atomic.`'s) and no
  `open` in a write mode outside `RAW_WRITE_PLACES`; a run's outputs go through `apexops.scrubbed`, state
  without secrets through `apexops.atomic`, and a stream handed to a process carries `# raw write: <why>`.

Each reader is also tested on a few lines of made-up source, so a check that silently sees nothing fails.
"""

from __future__ import annotations

import ast
import itertools
import textwrap
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class

ROOT = Path(__file__).resolve().parents[2]
MAX_COMPLEXITY = 25
TARGETS = ("sandbox", "azure")
ADAPTERS = ("apexops.sandbox", "apexops.azure")
ADAPTERS_DOT = tuple(f"{a}." for a in ADAPTERS)
STATUS_WORDS = {"PASS", "FAIL", "WARN", "SKIPPED", "INCONCLUSIVE"}
#: the only places that may know a target: the adapters themselves and the module that wires them
ADAPTER_PLACES = ("apexops/sandbox/", "apexops/azure/", "apexops/environment.py")
VOCABULARY = "apexops/status.py"
#: the only places that may write a file directly: the atomic writer, the ledger (append-only, its own fsync
#: protocol), the local stand-in's own state, and the scrubbed writer every run output goes through
RAW_WRITE_PLACES = ("apexops/atomic.py", "apexops/ledger.py", "apexops/sandbox/", "apexops/scrubbed.py")
RAW_WRITE_PRAGMA = "# raw write:"
#: modules whose `open(file, mode, ...)` takes the mode second, like the builtin
_OPEN_MODULES = {"io", "gzip", "bz2", "lzma", "codecs", "tarfile", "zipfile"}
_OS_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_APPEND", "O_CREAT", "O_TRUNC"}

#: module name -> (path relative to the project, source, parsed tree)
Sources = dict[str, tuple[str, str, ast.Module]]


def _module_name(rel: str) -> str:
    parts = Path(rel).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def package_sources() -> Sources:
    out = {}
    for path in sorted((ROOT / "apexops").rglob("*.py")):
        rel, text = path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
        out[_module_name(rel)] = (rel, text, ast.parse(text, filename=rel))
    return out


def made_up(files: dict[str, str]) -> Sources:
    """Sources from snippets: {"apexops/a.py": "import apexops.b"}."""
    return {
        _module_name(rel): (rel, textwrap.dedent(text), ast.parse(textwrap.dedent(text)))
        for rel, text in files.items()
    }


# --------------------------------------------------------------------------- readers


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(node: ast.AST, *, type_checking: bool) -> Iterator[ast.AST]:
    """Every node under `node`; with type_checking=False, the body of `if TYPE_CHECKING:` is skipped."""
    for child in ast.iter_child_nodes(node):
        if not type_checking and isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield stmt
                yield from _nodes(stmt, type_checking=type_checking)
            continue
        yield child
        yield from _nodes(child, type_checking=type_checking)


def _imported(module: str, rel: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The full names an import statement imports: the modules, or the module and each `module.name`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the importing module's package
        package = module.split(".") if rel.endswith("__init__.py") else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _owner(name: str, sources: Sources) -> str | None:
    """The module a dotted name belongs to: the longest module name that is a prefix of it."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in sources:
            return candidate
    return None


def import_graph(sources: Sources) -> dict[str, dict[str, int]]:
    """module -> {apexops module it imports: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, (rel, _, tree) in sources.items():
        edges: dict[str, int] = {}
        for node in _nodes(tree, type_checking=False):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = _imported(module, rel, node)
            if isinstance(node, ast.ImportFrom):  # `from a import b`: the submodule a.b if it is one, else a
                names = [name if name in sources else names[0] for name in names[1:]]
            for name in names:
                target = _owner(name, sources) if name.split(".")[0] == "apexops" else None
                if target and target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


def _groups(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module: modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = [stack.pop()]
            while group[-1] != v:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def _cycle(group: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """One shortest cycle from the group's first module back to it (breadth first inside the group)."""
    start = group[0]
    paths, queue = {start: [start]}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return [*paths[v], start]
            if w in group and w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return [start]


def cycles(sources: Sources) -> list[str]:
    """Each group of modules importing each other, with one cycle through it, file and line per step."""
    graph = import_graph(sources)
    out = []
    for group in _groups(graph):
        path = _cycle(group, graph)
        steps = [f"{sources[a][0]}:{graph[a][b]} imports {b}" for a, b in itertools.pairwise(path)]
        out.append(f"{', '.join(group)}\n    e.g. " + "\n         ".join(steps))
    return out


def complex_functions(sources: Sources) -> list[str]:
    offenders = []
    for rel, text, _ in sources.values():
        for block in cc_visit(text):
            for fn in block.methods if isinstance(block, Class) else [block]:
                if fn.complexity > MAX_COMPLEXITY:
                    offenders.append(f"{rel}:{fn.lineno} {fn.fullname} has complexity {fn.complexity}")
    return offenders


def _above_the_adapters(sources: Sources) -> Iterator[tuple[str, str, ast.Module]]:
    for module, (rel, _, tree) in sources.items():
        if not rel.startswith(ADAPTER_PLACES):
            yield module, rel, tree


def _names_a_target(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in TARGETS
    return isinstance(node, ast.Tuple | ast.List | ast.Set) and any(_names_a_target(e) for e in node.elts)


def target_comparisons(sources: Sources) -> list[str]:
    offenders = []
    for _, rel, tree in _above_the_adapters(sources):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Compare)
                and any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops)
                and any(_names_a_target(side) for side in [node.left, *node.comparators])
            ):
                offenders.append(f"{rel}:{node.lineno} {ast.unparse(node)}")
    return offenders


def adapter_imports(sources: Sources) -> list[str]:
    """Imports of an adapter package above the adapters (TYPE_CHECKING ones too: they know the target)."""
    offenders = []
    for module, rel, tree in _above_the_adapters(sources):
        for node in _nodes(tree, type_checking=True):
            if isinstance(node, ast.Import | ast.ImportFrom):
                hits = [
                    n for n in _imported(module, rel, node) if n in ADAPTERS or n.startswith(ADAPTERS_DOT)
                ]
                offenders += [f"{rel}:{node.lineno} imports {hits[0]}"] if hits else []
    return offenders


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def status_literals(sources: Sources) -> list[str]:
    offenders = []
    for rel, _, tree in sources.values():
        if rel == VOCABULARY:
            continue
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in STATUS_WORDS and id(node) not in docstrings:
                offenders.append(f"{rel}:{node.lineno} {node.value!r}")
    return offenders


def _open_mode(call: ast.Call) -> ast.expr | None:
    """The mode argument of an `open`-like call (None: read, the default), or the call itself when it is
    `os.open` with a write flag."""
    func = call.func
    given = {k.arg: k.value for k in call.keywords}
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "os":
        if func.attr == "open":
            named = [n.attr for a in call.args[1:2] for n in ast.walk(a) if isinstance(n, ast.Attribute)]
            return call if _OS_WRITE_FLAGS.intersection(named) else None
        position = 1 if func.attr == "fdopen" else None
    elif isinstance(func, ast.Name) and func.id == "open":
        position = 1
    elif isinstance(func, ast.Attribute) and func.attr == "open":  # Path.open(mode), gzip.open(path, mode)
        module = isinstance(func.value, ast.Name) and func.value.id in _OPEN_MODULES
        position = 1 if module else 0
        if not module and call.args and not isinstance(call.args[0], ast.Constant):
            return given.get("mode")  # x.open(url): not a Path's mode
    else:
        return None
    if "mode" in given:
        return given["mode"]
    return call.args[position] if position is not None and len(call.args) > position else None


def _writes(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("write_text", "write_bytes"):
        return not (isinstance(func.value, ast.Name) and func.value.id == "atomic")
    mode = _open_mode(call)
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(c in mode.value for c in "wax+")
    return True  # a mode (or os flags) computed at run time: cannot be shown to be read-only


def raw_writes(sources: Sources) -> list[str]:
    """Direct file writes outside RAW_WRITE_PLACES, unless a `# raw write: <why>` comment is on the call."""
    offenders = []
    for rel, text, tree in sources.values():
        if rel.startswith(RAW_WRITE_PLACES):
            continue
        lines = text.splitlines()
        calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _writes(n)), key=_position)
        for node in calls:
            span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
            why = [line.split(RAW_WRITE_PRAGMA, 1)[1].strip() for line in span if RAW_WRITE_PRAGMA in line]
            if not any(why):
                offenders.append(f"{rel}:{node.lineno} {ast.unparse(node.func)}(...)")
    return offenders


def _position(node: ast.expr) -> tuple[int, int]:
    return node.lineno, node.col_offset


# --------------------------------------------------------------------------- the rules, on apexops/


def _report(title: str, offenders: list[str]) -> str:
    return f"{len(offenders)} {title}:\n  " + "\n  ".join(offenders)


def test_no_import_cycles():
    found = cycles(package_sources())
    assert not found, _report("group(s) of modules importing each other", found)


def test_no_function_above_cyclomatic_complexity_25():
    found = complex_functions(package_sources())
    assert not found, _report(f"function(s) above cyclomatic complexity {MAX_COMPLEXITY}", found)


def test_nothing_above_the_adapters_compares_with_a_target_name():
    found = target_comparisons(package_sources())
    assert not found, _report("target branch(es) above the adapters (use env.traits or a port)", found)


def test_nothing_above_the_adapters_imports_them():
    found = adapter_imports(package_sources())
    assert not found, _report("adapter import(s) above the adapters (go through apexops.connect)", found)


def test_no_status_word_as_a_string_literal_outside_the_vocabulary():
    found = status_literals(package_sources())
    assert not found, _report("status word(s) as literals (use apexops.status.Status)", found)


def test_no_file_is_written_around_the_scrubber():
    found = raw_writes(package_sources())
    assert not found, _report(
        "direct file write(s): use apexops.scrubbed.write_scrubbed (run outputs) or apexops.atomic (state "
        "without secrets), or say `# raw write: <why>` on the line",
        found,
    )


# --------------------------------------------------------------------------- the readers, on made-up code


def test_a_function_level_import_closes_a_cycle_and_type_checking_imports_do_not():
    sources = made_up(
        {
            "apexops/__init__.py": "",
            "apexops/a.py": "def f():\n    from apexops import b\n",
            "apexops/b.py": "import apexops.a\n",
            "apexops/c.py": "import typing\nif typing.TYPE_CHECKING:\n    from apexops.a import f\n",
            "apexops/d.py": "from apexops.c import x\n",
        }
    )
    (found,) = cycles(sources)
    assert found.startswith("apexops.a, apexops.b") and "apexops/a.py:2 imports apexops.b" in found
    assert import_graph(sources)["apexops.c"] == {} and import_graph(sources)["apexops.d"] == {"apexops.c": 1}


def test_from_a_package_import_a_submodule_is_an_edge_to_the_submodule():
    sources = made_up(
        {
            "apexops/__init__.py": "from apexops.errors import E\n",
            "apexops/pkg/__init__.py": "",
            "apexops/pkg/sub.py": "from apexops import record\n",
            "apexops/errors.py": "from apexops.pkg import sub, name\n",
        }
    )
    assert import_graph(sources)["apexops.errors"] == {"apexops.pkg.sub": 1, "apexops.pkg": 1}
    assert len(cycles(sources)) == 1  # errors -> pkg.sub -> apexops (the package) -> errors


def test_a_function_above_25_is_named():
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(25))
    found = complex_functions(made_up({"apexops/big.py": f"def big(x):\n{branches}    return -1\n"}))
    assert found == ["apexops/big.py:1 big has complexity 26"]


def test_target_branches_and_adapter_imports_are_found_above_the_adapters_only():
    code = 'import apexops.sandbox.a\nok = s.target == "sandbox" or t in ("azure", 1) or n == "sandboxed"\n'
    sources = made_up({"apexops/up.py": code, "apexops/sandbox/x.py": code, "apexops/environment.py": code})
    assert target_comparisons(sources) == [
        "apexops/up.py:2 s.target == 'sandbox'",
        "apexops/up.py:2 t in ('azure', 1)",
    ]
    assert adapter_imports(sources) == ["apexops/up.py:1 imports apexops.sandbox.a"]


def test_status_words_in_code_are_found_and_docstrings_are_not():
    code = '"""PASS"""\ndef f():\n    """FAIL"""\n    return "WARN" if x else "PASSED"\n'
    sources = made_up({"apexops/x.py": code, "apexops/status.py": 'PASS = "PASS"\n'})
    assert status_literals(sources) == ["apexops/x.py:4 'WARN'"]


def test_direct_writes_are_found_outside_the_allowed_places_and_reads_are_not():
    code = """\
        p.write_text(s)
        atomic.write_text(p, s)
        (folder / "x.bin").write_bytes(b)
        with open(p, "a", encoding="utf-8") as fh: pass
        with p.open("w", newline="") as fh: pass
        gzip.open(p, "wb")
        os.fdopen(fd, mode)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT)
        open(p).read() + p.open("rb").read() + open(p, mode="r").read()
        os.open(p, os.O_RDONLY); gzip.open(p); webbrowser.open(url)
        log = p.open("ab")  # raw write: the child's stdout stream
        log = p.open("ab")  # raw write:
        """
    sources = made_up({"apexops/up.py": code, "apexops/atomic.py": code, "apexops/sandbox/s.py": code})
    assert raw_writes(sources) == [
        "apexops/up.py:1 p.write_text(...)",
        "apexops/up.py:3 (folder / 'x.bin').write_bytes(...)",
        "apexops/up.py:4 open(...)",
        "apexops/up.py:5 p.open(...)",
        "apexops/up.py:6 gzip.open(...)",
        "apexops/up.py:7 os.fdopen(...)",
        "apexops/up.py:8 os.open(...)",
        "apexops/up.py:12 p.open(...)",
    ]
