"""Every encoding of a secret, computed here with the standard library only (not with apexops.redact), so a
form the redactor forgets is a form these tests still look for."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

#: quotes, a backslash, base64 and URL specials, a non-ASCII letter: every encoding differs from the value
SECRET = "Le4k\"y\\S3cr3t'v+/=%&\u00e9Zq9"


def b64_cores(raw: bytes) -> set[str]:
    """The base64 characters that carry only `raw`'s bits, at each of the 3 alignments, both alphabets."""
    out = set()
    for k in range(3):
        text = base64.b64encode(b"\0" * k + raw + b"\0\0").decode()
        core = text[(8 * k + 5) // 6 : 8 * (k + len(raw)) // 6]
        out |= {core, core.replace("+", "-").replace("/", "_")}
    return out


def forms(value: str = SECRET) -> dict[str, bytes]:
    """name -> bytes to look for in any artifact or terminal output."""
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    text = {
        "plain": value,
        "repr": repr(value)[1:-1],
        "repr-bytes": repr(raw)[2:-1],
        "json": json.dumps(value)[1:-1],
        "json-utf8": json.dumps(value, ensure_ascii=False)[1:-1],
        "json-of-repr": json.dumps(repr(value))[1:-1],
        "html": html.escape(value),
        "b64": b64,
        "b64-unpadded": b64.rstrip("="),
        "b64-urlsafe": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "quote": quote(value),
        "quote-nosafe": quote(value, safe=""),
        "quote-plus": quote_plus(value),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "utf16le-escaped": repr(value.encode("utf-16-le"))[2:-1],
        "utf16be-escaped": repr(value.encode("utf-16-be"))[2:-1],
        "csv-quoted": value.replace('"', '""'),
        "sql-quoted": value.replace("'", "''"),
    }
    out = {name: form.encode() for name, form in text.items()}
    out.update({f"b64-core-{i}": c.encode() for i, c in enumerate(sorted(b64_cores(raw)))})
    out["utf16le"] = value.encode("utf-16-le")
    out["utf16be"] = value.encode("utf-16-be")
    out["utf16le-as-utf8"] = value.encode("utf-16-le").decode("latin-1").encode()
    out["utf16be-as-utf8"] = value.encode("utf-16-be").decode("latin-1").encode()
    return out


def leaks(data: bytes, value: str = SECRET) -> list[str]:
    """The names of the forms of `value` found in `data`."""
    return [name for name, needle in forms(value).items() if needle in data]
