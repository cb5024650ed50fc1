"""Keeping secrets out of parameters and out of every artifact of a run.

Two jobs, both pure logic:

1. **Refuse** secret-looking parameters before anything runs (`check_parameters`). Papermill writes
   parameters verbatim into the injected cell and into `metadata.papermill.parameters`, so a secret passed
   as a parameter is a secret on disk. A secret travels as a *reference* instead: a parameter ending in
   `_env` whose value is the NAME of an environment variable.
2. **Scrub** what a run wrote (`Redactor`): values known to be secret (environment variables whose names
   look secret, the values behind `*_env` references, tokens registered with
   `apexops.tokens.remember_secret`) and recognisable credentials (JWTs, bearer tokens, passwords in URLs
   and connection strings) become `[REDACTED:<source>]`, and each replacement is counted.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from apexops.errors import SecretInParameterError
from apexops.tokens import known_secret_values

__all__ = [
    "REFERENCE_SUFFIXES",
    "Redactor",
    "check_parameters",
    "looks_secret_name",
    "redact_parameters",
    "secret_value_reason",
]

#: parameter/variable name endings that mark a reference to a secret, not the secret itself
REFERENCE_SUFFIXES = ("_env", "_env_var", "_ref", "_secret_name", "_kv_secret")
#: environment variable name endings that hold a location, not a secret (APEX_AUTH_KEY_FILE, ...)
_ENV_NOT_SECRET_SUFFIXES = ("_file", "_path", "_dir", "_env", "_name", "_id", "_url_env", "_audience")
#: shell variables whose names contain a secret-looking word but hold none (PWD is the working directory)
_ENV_NOT_SECRET = {"PWD", "OLDPWD"}

_SECRET_WORDS = {
    "password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "apikey", "credential",
    "credentials", "connstr", "connectionstring", "sas", "bearer", "jwt", "privatekey", "cookie",
}  # fmt: skip
_KEY_QUALIFIERS = {
    "api", "access", "account", "private", "secret", "signing", "sas", "master", "shared", "storage",
    "subscription", "encryption", "client", "primary", "secondary", "ssh", "auth", "app", "function",
    "host", "instrumentation",
}  # fmt: skip
_PAIRS = {("connection", "string"), ("conn", "str"), ("conn", "string"), ("client", "secret")}

_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)(?!\[REDACTED)([A-Za-z0-9._~+/-]{16,}=*)")
_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"<>]+:)(?!\[REDACTED)([^/\s@'\"<>]+)(@)")
_KV_SECRET = re.compile(
    r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|client_secret|sig)"
    r"(\s*=\s*)(?!\[REDACTED)([^;&\s'\"<>]+)"
)
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_B64_BLOB = re.compile(r"^[A-Za-z0-9+/_-]{32,}={0,2}$")
_HEX_BLOB = re.compile(r"^[0-9a-fA-F]{32,}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DIGEST_NAMES = re.compile(r"(?i)(sha|digest|commit|hash|checksum|revision|etag)")


def _words(name: str) -> list[str]:
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^a-z0-9]+", snake.lower()) if w]


def is_reference_name(name: str) -> bool:
    return name.lower().endswith(REFERENCE_SUFFIXES)


def looks_secret_name(name: str) -> bool:
    """True when a name says it holds a secret (password, token, api_key, connection_string, ...).

    References (`db_password_env`, `api_key_secret_name`) are not secrets and return False.
    """
    if is_reference_name(name):
        return False
    words = _words(name)
    if any(w in _SECRET_WORDS for w in words):
        return True
    if any(pair in _PAIRS for pair in itertools.pairwise(words)):
        return True
    if words and words[-1] in ("key", "keys"):
        return len(words) == 1 or words[-2] in _KEY_QUALIFIERS
    return any(w.endswith("key") and w[:-3] in _KEY_QUALIFIERS for w in words)


def _blob_reason(token: str, name: str) -> str | None:
    if _HEX_BLOB.match(token):
        return None if _DIGEST_NAMES.search(name) else "a long hex string (looks like a key)"
    if (
        _B64_BLOB.match(token)
        and re.search(r"[A-Z]", token)
        and re.search(r"[a-z]", token)
        and re.search(r"[0-9]", token)
        and token.count("/") <= 2
        and not token.startswith("/")
    ):
        return "a long base64 string (looks like a key)"
    return None


def secret_value_reason(value: str, name: str = "") -> str | None:
    """Why a string value looks like a secret, or None. The reason never quotes the value."""
    if _JWT.search(value):
        return "a JWT"
    if _BEARER.search(value):
        return "a bearer token"
    if _PEM.search(value) or "PRIVATE KEY-----" in value:
        return "a private key"
    if _URL_PASSWORD.search(value):
        return "a URL with a password"
    m = _KV_SECRET.search(value)
    if m:
        return f"a connection string with {m.group(1)}="
    for token in re.split(r"[\s,;]+", value.strip()):
        token = re.sub(r"^(sha256|sha1|sha512|md5):", "", token, flags=re.I) if ":" in token else token
        if reason := _blob_reason(token, name):
            return reason
    return None


def _walk_values(name: str, value: Any) -> Iterable[tuple[str, Any]]:
    yield name, value
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk_values(f"{name}.{k}", v)
    elif isinstance(value, list | tuple | set):
        for i, v in enumerate(value):
            yield from _walk_values(f"{name}[{i}]", v)


def check_parameters(parameters: Mapping[str, Any], *, environ: Mapping[str, str] | None = None) -> None:
    """Refuse parameters that carry a secret; raise SecretInParameterError naming the parameter.

    The error never repeats the value. `*_env` parameters must hold an environment variable NAME.
    """
    env = os.environ if environ is None else environ
    known = {v: k for k, v in env.items() if _secret_env_name(k) and _secret_env_value(v)}
    for top, top_value in parameters.items():
        for name, value in _walk_values(top, top_value):
            leaf = re.split(r"[.\[]", name)[-1] or top
            fix = (
                f"pass a reference instead: -p {_base(leaf)}_env=<ENV_VAR_NAME> and set that variable "
                "in the environment of the run (or in CI secrets)"
            )
            if is_reference_name(leaf) and isinstance(value, str) and value:
                if not _ENV_NAME.match(value):
                    raise SecretInParameterError(
                        f"parameter {name!r} must hold the NAME of an environment variable, "
                        "and its value does not look like one.",
                        hint=f"pass e.g. -p {leaf}=APEX_DB_PASSWORD and export APEX_DB_PASSWORD yourself.",
                    )
                continue
            if looks_secret_name(leaf) and isinstance(value, str | bytes) and value:
                raise SecretInParameterError(
                    f"parameter {name!r} looks like a secret (its name says so).", hint=fix
                )
            if isinstance(value, str) and value:
                if reason := secret_value_reason(value, leaf):
                    raise SecretInParameterError(
                        f"parameter {name!r} looks like a secret (its value is {reason}).", hint=fix
                    )
                if value in known:
                    raise SecretInParameterError(
                        f"parameter {name!r} holds the value of the secret variable ${known[value]}.",
                        hint=f"pass the reference instead: -p {_base(leaf)}_env={known[value]}",
                    )


def _base(name: str) -> str:
    for suffix in REFERENCE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _secret_env_name(name: str) -> bool:
    return (
        name.upper() not in _ENV_NOT_SECRET
        and looks_secret_name(name)
        and not name.lower().endswith(_ENV_NOT_SECRET_SUFFIXES)
    )


def _secret_env_value(value: str) -> bool:
    """Long enough to scrub safely, and not a path that exists (a secret never is one)."""
    if len(value) < 8:
        return False
    return not (value.startswith(("/", "~")) and Path(value).expanduser().exists())


def redact_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as they may be shown and stored: values under secret-looking names are hidden.

    Parameters were already refused if they carried secrets; this is the second fence for displays
    (the context cell) and the ledger.
    """
    out: dict[str, Any] = {}
    for k, v in parameters.items():
        hide = (looks_secret_name(k) and v not in (None, "", True, False)) or (
            isinstance(v, str) and secret_value_reason(v, k) is not None
        )
        out[k] = "[REDACTED:parameter]" if hide else v
    return out


class Redactor:
    """Replaces known secret values and recognisable credentials with `[REDACTED:<source>]`.

    `counts` says how many replacements were made per source, so a run can record how much it hid.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None, *, min_length: int = 6) -> None:
        # value -> source label; ignore values too short to scrub without destroying ordinary text
        given = (secrets or {}).items()
        self.secrets: dict[str, str] = {v: s for v, s in given if v and len(v) >= min_length}
        self.counts: Counter[str] = Counter()
        variants: dict[str, str] = {}
        for value, source in self.secrets.items():
            for form in (value, html.escape(value), json.dumps(value)[1:-1]):
                variants.setdefault(form, source)
        self._variants = variants
        self._known = (
            re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))
            if variants
            else None
        )

    @classmethod
    def for_run(
        cls,
        *,
        parameters: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        references: Iterable[str] = (),
        extra: Iterable[str] = (),
    ) -> Redactor:
        """The redactor of one run: secret-named env vars, values behind `*_env` parameters and
        `references` (env var names), and values registered with `apexops.tokens.remember_secret`."""
        env = os.environ if environ is None else environ
        secrets: dict[str, str] = {}
        for value in [*known_secret_values(), *extra]:
            secrets[value] = "token"
        for name, value in env.items():
            if _secret_env_name(name) and _secret_env_value(value):
                secrets[value] = f"env:{name}"
        refs = list(references)
        for k, v in (parameters or {}).items():
            if is_reference_name(k) and isinstance(v, str) and _ENV_NAME.match(v):
                refs.append(v)
        for ref in refs:
            value = env.get(ref)
            if value and len(value) >= 6:
                secrets[value] = f"env:{ref}"
        return cls(secrets)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _sub_known(self, text: str) -> str:
        if self._known is None:
            return text

        def repl(m: re.Match[str]) -> str:
            source = self._variants[m.group(0)]
            self.counts[source] += 1
            return f"[REDACTED:{source}]"

        return self._known.sub(repl, text)

    def _sub(self, pattern: re.Pattern[str], text: str, label: str, template: str) -> str:
        def repl(m: re.Match[str]) -> str:
            self.counts[label] += 1
            return m.expand(template)

        return pattern.sub(repl, text)

    def scrub_text(self, text: str, *, patterns: bool = True) -> str:
        """Scrub one string. `patterns=False` removes only the known values (for rendered HTML/JS)."""
        if not text:
            return text
        text = self._sub_known(text)
        if not patterns:
            return self._sub(_JWT, text, "jwt", "[REDACTED:jwt]") if "eyJ" in text else text
        if "eyJ" in text:
            text = self._sub(_JWT, text, "jwt", "[REDACTED:jwt]")
        text = self._sub(_BEARER, text, "bearer", r"\1\2[REDACTED:bearer]")
        if "://" in text:
            text = self._sub(_URL_PASSWORD, text, "url-password", r"\1[REDACTED:url-password]\3")
        if "=" in text:
            text = self._sub(_KV_SECRET, text, "connection-string", r"\1\2[REDACTED:connection-string]")
        if "PRIVATE KEY" in text:
            text = self._sub(_PEM, text, "private-key", "[REDACTED:private-key]")
        return text

    def scrub(self, obj: Any) -> Any:
        """Scrub every string inside a JSON-like structure (dicts, lists, notebook nodes); same shape back."""
        if isinstance(obj, str):
            return self.scrub_text(obj)
        if isinstance(obj, Mapping):
            items = {k: self.scrub(v) for k, v in obj.items()}
            try:
                return type(obj)(items)
            except TypeError:
                return items
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.scrub(v) for v in obj)
        return obj

    def scrub_file(self, path: Path) -> int:
        """Scrub a file in place (text: everything; binary: known values); return replacements made."""
        before = self.total
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            new = data
            for value, source in self.secrets.items():
                raw = value.encode("utf-8")
                n = new.count(raw)
                if n:
                    self.counts[source] += n
                    new = new.replace(raw, f"[REDACTED:{source}]".encode())
            if new != data:
                path.write_bytes(new)
            return self.total - before
        new_text = self.scrub_text(text)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
        return self.total - before
