"""Every operational failure apexops raises, in one tree, each carrying a hint to the next step.

    ApexopsError                      root; .hint says what to check or which procedure to run next
    ├── ConfigError                   a parameters file or a procedure parameter is wrong (nothing changed)
    │   └── SecretInParameterError    a parameter name or value looks like a secret
    ├── UnknownProcedureError         no notebook matches the id or name given
    ├── TargetError                   the target (sandbox or Azure) refused or failed a call
    │   ├── TargetUnavailableError    the target cannot be reached (sandbox down, network, DNS)
    │   ├── AuthenticationError       no identity, or a token the target rejects (401)
    │   ├── AuthorizationError        identity known but not allowed (403, AuthorizationFailed)
    │   ├── NotFoundError             resource group, app, revision, image tag ... does not exist
    │   ├── ConflictError             the target is busy or in a conflicting state (409, deployment running)
    │   ├── ThrottledError            the target asked us to slow down (429)
    │   ├── InvalidRequestError       the target rejected the request's content (400)
    │   └── NotSupportedError         the operation has no equivalent on this target
    ├── TrafficError                  a traffic list breaks the invariants (sum 100, active revisions only)
    ├── ApprovalRequired              a gate was not approved; nothing past it runs
    ├── LockHeldError                 another run holds the deployment lock for this app
    ├── MigrationError                a migration cannot be planned, linted, applied or verified
    │   └── MigrationBlocked          refused before anything ran (a blocking finding, a moved database)
    ├── VerificationError             a read-back did not match what was written
    ├── RolloutError                  a rollout failed, or stopped for a person to decide
    │   └── CanaryRolledBack          the judge rolled the canary back: traffic is at the baseline
    ├── ReleaseError                  a release (90) stopped before 100% on the new revision
    └── LedgerError                   the ledger or an artifact does not verify

Programming errors (a wrong argument type from code) stay ValueError/TypeError and are not in this tree,
so `except ApexopsError` never hides a bug.
"""

from __future__ import annotations

__all__ = [
    "ApexopsError",
    "ApprovalRequired",
    "AuthenticationError",
    "AuthorizationError",
    "CanaryRolledBack",
    "ConfigError",
    "ConflictError",
    "InvalidRequestError",
    "LedgerError",
    "LockHeldError",
    "MigrationBlocked",
    "MigrationError",
    "NotFoundError",
    "NotSupportedError",
    "ReleaseError",
    "RolloutError",
    "SecretInParameterError",
    "TargetError",
    "TargetUnavailableError",
    "ThrottledError",
    "TrafficError",
    "UnknownProcedureError",
    "VerificationError",
    "split_hint",
]


class ApexopsError(Exception):
    """Root of every apexops operational error.

    `str(err)` is one line: the message, then `HINT: ...` when there is a next step to suggest. The
    message and hint are kept as attributes (and passed to Exception) so errors pickle across the
    kernel boundary and render the same everywhere.
    """

    #: exit code the CLI uses when this error ends a command
    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} HINT: {self.hint}" if self.hint else self.message


def split_hint(error: str) -> tuple[str, str]:
    """An error line as `ApexopsError` writes it ("<Type>: <message> HINT: <hint>") → (message, hint), both
    whole. The LAST "HINT:" is the run's own; an earlier one belongs to a child's error quoted in the message
    (a release that stopped at 20 quotes 20's error, hint included)."""
    message, sep, hint = error.rpartition(" HINT: ")
    return (message, hint.strip()) if sep else (error, "")


class ConfigError(ApexopsError):
    """A parameters file or a procedure parameter is wrong; raised before anything changes."""

    exit_code = 2


class SecretInParameterError(ConfigError):
    """A parameter looks like a secret; pass a reference (an environment variable name) instead."""


class UnknownProcedureError(ApexopsError):
    """No notebook in notebooks/ matches the procedure id or name."""

    exit_code = 2


class TargetError(ApexopsError):
    """The target refused or failed a call."""


class TargetUnavailableError(TargetError):
    """The target cannot be reached."""


class AuthenticationError(TargetError):
    """No usable identity, or the target rejected the token."""


class AuthorizationError(TargetError):
    """The identity is known but lacks the role for this call."""


class NotFoundError(TargetError):
    """The named resource does not exist."""


class ConflictError(TargetError):
    """The target is busy or in a state that conflicts with the request."""


class ThrottledError(TargetError):
    """The target asked the caller to slow down."""


class InvalidRequestError(TargetError):
    """The target rejected the content of the request."""


class NotSupportedError(TargetError):
    """The operation has no equivalent on this target; the hint names the manual route."""


class TrafficError(ApexopsError):
    """A traffic list breaks the Container Apps invariants; nothing was written."""


class ApprovalRequired(ApexopsError):
    """A gate was not approved with the phrase bound to this change."""

    exit_code = 3


class LockHeldError(ApexopsError):
    """Another run holds the deployment lock for this app."""


class MigrationError(ApexopsError):
    """A migration cannot be planned, linted, applied or verified."""


class MigrationBlocked(MigrationError):
    """The migration was refused before anything ran: a blocking lint finding, a database that moved since
    the plan, a stamp the schema does not match. Nothing changed; the findings say what to resolve."""


class VerificationError(ApexopsError):
    """A read-back did not match what was written."""


class RolloutError(ApexopsError):
    """A canary was rolled back (traffic is at the baseline) or a rollout stopped for a person to decide."""


class CanaryRolledBack(RolloutError):
    """The judge rolled the canary back on evidence: traffic is at the baseline, as the procedure intends.
    A stop to read (the evidence says why), not a fault of the tooling."""


class ReleaseError(ApexopsError):
    """A release did not reach 100% on the new revision; the message says where it stopped and where the
    traffic is."""


class LedgerError(ApexopsError):
    """The ledger or one of its artifacts does not verify."""
