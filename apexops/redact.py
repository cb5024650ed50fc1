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

import base64
import html
import itertools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from apexops import atomic
from apexops.errors import SecretInParameterError
from apexops.tokens import known_secret_values

__all__ = [
    "HIDDEN",
    "REDACT_VARS_ENV",
    "REFERENCE_SUFFIXES",
    "Redactor",
    "check_parameters",
    "looks_secret",
    "looks_secret_name",
    "redact_parameters",
    "scrub_text",
    "secret_value_reason",
]

#: environment variable the runner gives the kernel: the NAMES (never values) of the run's secret variables
REDACT_VARS_ENV = "APEXOPS_REDACT_VARS"
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
#: user:password@ in a URL; the password runs to the LAST '@' of the authority (a password may hold '@')
_URL_PASSWORD = re.compile(
    r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"<>]+:)(?!\[REDACTED)([^/\s'\"<>]+)(@)(?=[^@/\s'\"<>]*(?:[/?#\s'\"<>]|$))"
)
#: Key=value credentials; a quoted value (also with escaped quotes, as in JSON) is hidden up to its quote
_KV_SECRET = re.compile(
    r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|client_secret|sig)(\s*=\s*)"
    r"(?!\\?['\"]?\[REDACTED)(\\?['\"](?=[^'\"\n]+\\?['\"])|)((?<=['\"])[^'\"\n\\]+|[^;&\s'\"<>\\]+)"
)
_MARKER = re.compile(r"\[REDACTED:([^\]\s]+)\]")
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


#: what deployment and troubleshooting displays show instead of a secret value
HIDDEN = "<hidden>"

_SECRET_NAME = re.compile(
    r"(passw(or)?d|passwd|secret|token|api_?key|access_?key|account_?key|private_?key|(^|_)sas(_|$)|"
    r"conn(ection)?_?str(ing)?|credential|signing_?key|client_?secret|(^|_)key$)",
    re.I,
)
#: keys that hold references to secrets, not secrets (ACA: secretRef, passwordSecretRef, keyVaultUrl)
_REFERENCE = re.compile(r"(secret_?ref|_env$|key_?vault_?url)", re.I)


def looks_secret(name: str) -> bool:
    """True when a key or variable name suggests its value is a secret (references excepted).

    Deliberately the union of these patterns and the parameter checker's (`looks_secret_name`): hiding
    a harmless value costs little, printing a key a lot.
    """
    if _REFERENCE.search(name):
        return False
    return bool(_SECRET_NAME.search(name)) or looks_secret_name(name)


def scrub_text(text: str) -> str:
    """Replace every token value this process has seen with HIDDEN."""
    for value in known_secret_values():
        if value in text:
            text = text.replace(value, HIDDEN)
    return text


def _entropy(token: str) -> float:
    """Shannon entropy in bits per character: random base64 has ~5, words and paths ~4."""
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in Counter(token).values())


def _blob_reason(token: str, name: str) -> str | None:
    if _HEX_BLOB.match(token):
        return None if _DIGEST_NAMES.search(name) else "a long hex string (looks like a key)"
    if not _B64_BLOB.match(token):
        return None
    classes = sum(bool(re.search(c, token)) for c in ("[A-Z]", "[a-z]", "[0-9]"))
    # a storage key is base64 of 32 or 64 random bytes: padded, any number of '/', even a leading one;
    # a path has few slashes, starts with one, and its words have far less entropy than random bytes
    padded = token.endswith("=") and len(token) % 4 == 0
    pathlike = token.count("/") > 2 or token.startswith("/")
    if (padded and classes >= 2) or (
        classes == 3 and (not pathlike or (len(token) >= 64 and _entropy(token) >= 4.6))
    ):
        return "a long base64 string (looks like a key)"
    return None


def _url_password(value: str) -> bool:
    """A URL with user:password (the password may hold '@' or ':'), found by the URL parser itself."""
    for token in re.findall(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+", value):
        try:
            if urlsplit(token).password:
                return True
        except ValueError:
            continue
    return False


def _shape_reason(value: str, name: str) -> str | None:
    if _JWT.search(value):
        return "a JWT"
    if _BEARER.search(value):
        return "a bearer token"
    if _PEM.search(value) or "PRIVATE KEY-----" in value:
        return "a private key"
    if _URL_PASSWORD.search(value) or _url_password(value):
        return "a URL with a password"
    m = _KV_SECRET.search(value)
    if m:
        return f"a connection string with {m.group(1)}="
    for token in re.split(r"[\s,;]+", value.strip()):
        token = re.sub(r"^(sha256|sha1|sha512|md5):", "", token, flags=re.I) if ":" in token else token
        if reason := _blob_reason(token, name):
            return reason
    return None


def secret_value_reason(value: str, name: str = "") -> str | None:
    """Why a string value looks like a secret, or None. The reason never quotes the value.

    The value is also read URL-decoded: `Bearer%20eyJ...` or a key with `%2F`/`%3D` is the same secret.
    """
    reason = _shape_reason(value, name)
    if reason is None and ("%" in value or "+" in value):
        decoded = unquote_plus(value)
        if decoded != value:
            reason = _shape_reason(decoded, name)
    return reason


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

    `counts` says how many secrets were hidden per source, so a run can record how much it hid. Markers
    already in a text (put there by an earlier scrub: the save of the notebook, the kernel's own) count
    once, so a run recovered without the secret still says how much was hidden; a text this redactor
    returned before is not counted again.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None, *, min_length: int = 6) -> None:
        # value -> source label; ignore values too short to scrub without destroying ordinary text
        given = (secrets or {}).items()
        self.secrets: dict[str, str] = {v: s for v, s in given if v and len(v) >= min_length}
        self.counts: Counter[str] = Counter()
        self._seen: set[str] = set()
        variants: dict[str, str] = {}
        for value, source in self.secrets.items():
            for form in encodings(value):
                if len(form) >= min_length:
                    variants.setdefault(form, source)
        self._variants = variants
        # the same forms as latin-1 text of their UTF-8 bytes: how they appear in a binary file
        self._byte_variants = {b: s for f, s in variants.items() for b in _byte_forms(f)}
        self._patterns: dict[tuple[str, ...], re.Pattern[str]] = {}

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
        secrets = dict.fromkeys([*known_secret_values(), *extra], "token")
        for name, value in env.items():
            if _secret_env_name(name) and _secret_env_value(value):
                secrets[value] = f"env:{name}"
        refs = list(references)
        for k, v in (parameters or {}).items():
            if is_reference_name(k) and isinstance(v, str) and _ENV_NAME.match(v):
                refs.append(v)
        for ref in refs:
            behind = env.get(ref)
            if behind and len(behind) >= 6:
                secrets[behind] = f"env:{ref}"
        return cls(secrets)

    @classmethod
    def for_kernel(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        """The redactor a kernel applies to what it writes itself: the same rules as the runner's, from
        the kernel's environment and the variable names the runner passed in REDACT_VARS_ENV."""
        env = os.environ if environ is None else environ
        refs = [r for r in env.get(REDACT_VARS_ENV, "").split(",") if r]
        return cls.for_run(environ=env, references=refs)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _sub_known(self, text: str, *, binary: bool = False) -> str:
        variants = self._byte_variants if binary else self._variants
        # a substring test per form is fast (C), one alternation of every form over megabytes of HTML is
        # not: match only the forms present, longest first
        present = tuple(sorted((v for v in variants if v in text), key=len, reverse=True))
        if not present:
            return text
        if (pattern := self._patterns.get(present)) is None:
            pattern = self._patterns[present] = re.compile("|".join(map(re.escape, present)))

        def repl(m: re.Match[str]) -> str:
            source = variants[m.group(0)]
            self.counts[source] += 1
            return f"[REDACTED:{source}]"

        return pattern.sub(repl, text)

    def _sub(self, pattern: re.Pattern[str], text: str, label: str, template: str) -> str:
        def repl(m: re.Match[str]) -> str:
            self.counts[label] += 1
            return m.expand(template)

        return pattern.sub(repl, text)

    def scrub_text(self, text: str, *, patterns: bool = True) -> str:
        """Scrub one string. `patterns=False` removes only the known values (for rendered HTML/JS)."""
        if not text or text in self._seen:
            return text
        earlier = _MARKER.findall(text) if patterns and "[REDACTED:" in text else []
        text = self._scrub_text(text, patterns=patterns)
        self.counts.update(earlier)
        if "[REDACTED:" in text:
            self._seen.add(text)
        return text

    def _scrub_text(self, text: str, *, patterns: bool) -> str:
        text = self._sub_known(text)
        if not patterns:
            return self._sub(_JWT, text, "jwt", "[REDACTED:jwt]") if "eyJ" in text else text
        if "eyJ" in text:
            text = self._sub(_JWT, text, "jwt", "[REDACTED:jwt]")
        text = self._sub(_BEARER, text, "bearer", r"\1\2[REDACTED:bearer]")
        if "://" in text:
            text = self._sub(_URL_PASSWORD, text, "url-password", r"\1[REDACTED:url-password]\3")
        if "=" in text:
            text = self._sub(_KV_SECRET, text, "connection-string", r"\1\2\3[REDACTED:connection-string]")
        if "PRIVATE KEY" in text:
            text = self._sub(_PEM, text, "private-key", "[REDACTED:private-key]")
        return text

    def scrub(self, obj: Any) -> Any:
        """Scrub every string inside a JSON-like structure (dicts, lists, notebook nodes); same shape back."""
        if isinstance(obj, str):
            return self.scrub_text(obj)
        if isinstance(obj, Mapping):
            items = {k: self.scrub(v) for k, v in obj.items()}
            make: Any = type(obj)  # a NotebookNode comes back a NotebookNode
            try:
                return make(items)
            except TypeError:
                return items
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.scrub(v) for v in obj)
        return obj

    def scrub_bytes(self, data: bytes) -> bytes:
        """Scrub raw bytes: text (UTF-8) fully, anything else for known values in every encoding."""
        try:
            return self.scrub_text(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return self._sub_known(data.decode("latin-1"), binary=True).encode("latin-1")

    def scrub_file(self, path: Path, *, root: Path | None = None) -> int:
        """Scrub a file in place; return replacements made.

        Never through a symlink (a link in the evidence folder may point anywhere: it is left alone), never
        outside `root` when given, and written atomically: a crash leaves the old or the scrubbed file.
        """
        path = Path(path)
        if path.is_symlink() or not path.is_file():
            return 0
        if root is not None and not path.resolve().is_relative_to(Path(root).resolve()):
            return 0
        before = self.total
        data = path.read_bytes()
        new = self.scrub_bytes(data)
        if new != data:
            atomic.write_bytes(path, new, mode=path.stat().st_mode & 0o777)
        return self.total - before

    def scrub_tree(self, folder: Path) -> int:
        """Scrub every regular file under `folder` (the evidence folder): symlinks, to files or folders,
        are never followed, so nothing outside `folder` is read or rewritten. Returns replacements made."""
        folder = Path(folder)
        if folder.is_symlink() or not folder.is_dir():
            return 0
        before = self.total
        for dirpath, _dirs, files in os.walk(folder, followlinks=False):
            for name in sorted(files):
                self.scrub_file(Path(dirpath) / name, root=folder)
        return self.total - before


def _byte_forms(form: str) -> set[str]:
    """A form as it appears in bytes read as latin-1: its UTF-8 bytes, and itself when it is bytes already
    (the UTF-16 forms are latin-1 readings of bytes)."""
    forms = {form.encode("utf-8").decode("latin-1")}
    if max(form) <= "\xff":
        forms.add(form)
    return forms


def _b64_cores(raw: bytes) -> set[str]:
    """The base64 characters of `raw` that are the same wherever it sits in a longer encoded stream:
    one core per alignment (0, 1, 2 bytes before it), standard and URL-safe alphabets."""
    cores: set[str] = set()
    for k in range(3):
        text = base64.b64encode(b"\0" * k + raw + b"\0\0").decode("ascii")
        core = text[(8 * k + 5) // 6 : (8 * (k + len(raw))) // 6]
        cores |= {core, core.translate(_URLSAFE)}
    return cores


_URLSAFE = str.maketrans("+/", "-_")


def encodings(value: str) -> set[str]:
    """Every form a secret takes on the way to disk: itself, its repr and JSON escapes (and those escaped
    once more, as in a notebook's JSON), quotes doubled (CSV, SQL), HTML, base64 (both alphabets, padded or
    not, any alignment), URL-encoded, UTF-16 (LE/BE, as latin-1 text or with `\\x00` escapes) and hex."""
    raw = value.encode("utf-8")
    text_forms = {
        value,
        html.escape(value),
        html.escape(value, quote=False),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        repr(raw)[2:-1],
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
        value.replace('"', '""'),  # a CSV field (and a SQL identifier)
        value.replace("'", "''"),  # a SQL string literal
    }
    forms = set(text_forms)
    for form in text_forms:  # escaped twice: a repr printed into a JSON file, JSON inside HTML
        forms |= {json.dumps(form)[1:-1], html.escape(form)}
    b64 = base64.b64encode(raw).decode("ascii")
    for full in (b64, b64.translate(_URLSAFE)):
        forms |= {full, full.rstrip("=")}
    forms |= _b64_cores(raw)
    for codec in ("utf-16-le", "utf-16-be"):
        data = value.encode(codec)
        latin = data.decode("latin-1")
        forms |= {latin, repr(data)[2:-1], json.dumps(latin)[1:-1], json.dumps(repr(data)[2:-1])[1:-1]}
    forms |= {raw.hex(), raw.hex().upper()}
    return {f for f in forms if f}
