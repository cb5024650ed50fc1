"""Commands run inside a replica (`az containerapp exec`), and what to show when a target cannot run them.

Checks "from the app side" only mean something when they run where the app runs: its network path, its
configuration, its identity. The ContainerApp port's `exec` does that on the sandbox; on Azure exec is an
interactive CLI session the SDK does not offer, so the adapter raises NotSupportedError and the check
becomes a MANUAL row carrying the exact `az containerapp exec` command, never a fake PASS (nor a FAIL that
would blame the app for the tool's limits).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.errors import ApexopsError, ConfigError, NotSupportedError
from apexops.redact import HIDDEN, Redactor, looks_secret, scrub_text
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.ports import ContainerApp
    from apexops.settings import Settings

__all__ = ["MANUAL", "ExecOutcome", "pick_revision", "run_in_app", "scrub", "scrub_output", "split_command"]

#: the outcome of a command this target cannot run: the operator runs it (shown with SKIPPED's colours)
MANUAL = "MANUAL"

_SHELL = re.compile(r"[|&;<>$`]|\*")
_ENV_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def split_command(command: str) -> list[str]:
    """The argv of a one-off command; commands with pipes or redirections run through `sh -c`."""
    text = (command or "").strip()
    if not text:
        raise ConfigError("command is empty.", hint='give a command, e.g. command="python3 --version".')
    if _SHELL.search(text):
        return ["sh", "-c", text]
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"command {text!r} cannot be parsed ({exc}).", hint="check the quotes.") from None


_PATTERNS: Redactor | None = None


def scrub(text: str) -> str:
    """Tokens this process has seen, and recognisable credentials (JWTs, bearer tokens, passwords in URLs
    and connection strings), replaced before a line is shown."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = Redactor()  # no known values: the credential patterns only
    return _PATTERNS.scrub_text(scrub_text(text or ""))


def scrub_output(text: str) -> str:
    """Hide values of secret-looking NAME=value lines (printenv) and recognisable credentials."""
    lines = []
    for line in (text or "").splitlines():
        m = _ENV_LINE.match(line.strip())
        if m and looks_secret(m.group("name")):
            line = f"{m.group('name')}={HIDDEN}"
        lines.append(scrub(line))
    return "\n".join(lines)


def pick_revision(app: ContainerApp) -> str | None:
    """The revision serving most traffic (the one users reach), else the latest ready one."""
    from apexops.migrations.connectivity import pick_revision as _pick  # migrations loads sqlalchemy

    return _pick(app)


@dataclass(frozen=True)
class ExecOutcome:
    """One command run in a replica: PASS / FAIL, or MANUAL when the target cannot exec (Azure SDK)."""

    check: str
    status: Status | str  # a Status, or MANUAL
    revision: str
    replica: str
    exit_code: int | None
    output: str
    command: str  # the az equivalent, always
    hint: str = ""

    def row(self) -> dict[str, Any]:
        out = self.output.strip()
        return {
            "status": self.status,
            "check": self.check,
            "revision": self.revision,
            "replica": self.replica,
            "exit code": self.exit_code,
            "output": out[-400:],
            "hint": self.hint,
        }


def run_in_app(
    app: ContainerApp,
    settings: Settings,
    argv: Sequence[str],
    *,
    check: str,
    revision: str | None = None,
    success: Callable[[str], bool] | None = None,
    timeout_s: float = 30.0,
) -> ExecOutcome:
    """Run `argv` in a replica of `revision` (default: the one taking most traffic) and judge it."""

    def not_run(status: Status | str, name: str, output: str, az: str, hint: str) -> ExecOutcome:
        return ExecOutcome(check, status, name, "", None, output, az, hint)

    try:
        name = revision or pick_revision(app) or ""
    except ApexopsError as exc:
        az = azcli.containerapp_exec(settings, list(argv), oneline=True)
        return not_run(Status.FAIL, "", exc.message, az, exc.hint or "")
    az = azcli.containerapp_exec(settings, list(argv), revision=name or None, oneline=True)
    if not name:
        reason = "the app has no revision to exec into"
        return not_run(Status.FAIL, "", reason, az, "deploy a revision (30-application-deployment)")
    try:
        result = app.exec(name, list(argv), timeout_s=timeout_s)
    except NotSupportedError:
        reason = "this target cannot run commands in a replica: run the command yourself"
        return not_run(MANUAL, name, reason, az, "run the az command shown, compare with the expected output")
    except ApexopsError as exc:
        return not_run(Status.FAIL, name, exc.message, az, exc.hint or "")
    output = scrub_output(result.output)
    ok = result.exit_code == 0 and (success(output) if success else True)
    status = Status.PASS if ok else Status.FAIL
    return ExecOutcome(check, status, result.revision, result.replica, result.exit_code, output, az)
