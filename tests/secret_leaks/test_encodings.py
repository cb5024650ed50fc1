"""Item 6: a known secret is scrubbed in every encoding it takes on the way to disk (unit level)."""

from __future__ import annotations

import base64

import pytest
from secret_forms import SECRET, forms, leaks

from apexops.redact import Redactor


@pytest.mark.parametrize("name", sorted(forms()))
def test_every_form_is_scrubbed_from_text_and_bytes(name):
    needle = forms()[name]
    r = Redactor({SECRET: "env:X"})
    data = b"before " + needle + b" after"
    out = r.scrub_bytes(data)
    assert leaks(out) == [], f"{name} survived: {out!r}"
    assert b"[REDACTED:env:X]" in out and r.total >= 1


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc", b"abcd"])
def test_base64_of_a_secret_inside_a_larger_blob_at_any_alignment(prefix):
    r = Redactor({SECRET: "env:X"})
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        blob = encode(prefix + SECRET.encode() + b"trailing bytes").decode()
        assert leaks(r.scrub_text(f"blob {blob}").encode()) == []


def test_the_notebook_json_of_a_printed_repr_is_scrubbed():
    import json

    r = Redactor({SECRET: "env:X"})
    text = json.dumps({"text": [f"{SECRET!r}\n", str(SECRET.encode())]})
    assert leaks(r.scrub_text(text).encode()) == []
    json.loads(r.scrub_text(text))  # still valid JSON


def test_short_values_are_not_scrubbed_in_any_form():
    r = Redactor({"abc": "env:SHORT", "": "env:EMPTY"})
    text = "abc YWJj 616263 a\x00b\x00c\x00"
    assert r.scrub_text(text) == text and r.total == 0


def test_counts_once_what_an_earlier_scrub_hid():
    first = Redactor({SECRET: "env:X"})
    once = first.scrub_text(f"pw {SECRET} and {SECRET!r}")
    assert first.counts["env:X"] == 2
    later = Redactor()  # e.g. recovery, from a shell without the secret's variable
    assert later.scrub_text(once) == once and later.counts["env:X"] == 2
    assert later.scrub_text(once) == once and later.counts["env:X"] == 2  # not twice
