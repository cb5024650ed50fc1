"""The sandbox's stand-in for the LLM document validation: a deterministic completeness score.

Production asks Azure OpenAI how complete a scope document is. The sandbox cannot, and a rehearsal needs
the same answer every time, so the score is computed from the PDF's structure: a well-formed file with
pages and content scores 1.0, the runbook's minimal smoke-test PDF (structure but no content stream)
scores 0.9, and anything that is not a PDF scores low. Same bytes, same score, same findings.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MODEL", "assess"]

MODEL = "sandbox-pdf-structure-v1"

_CHECKS: tuple[tuple[str, float, str, str], ...] = (
    # name, weight, what passing means, what failing means
    ("pdf_header", 0.20, "starts with a %PDF- header", "no %PDF- header: not a PDF file"),
    ("eof_marker", 0.15, "ends with %%EOF", "no %%EOF marker at the end: the file may be truncated"),
    ("catalog", 0.15, "has a document catalog", "no /Type /Catalog object"),
    ("page_tree", 0.10, "has a page tree", "no /Type /Pages object"),
    ("pages", 0.15, "has at least one page", "no /Type /Page objects: the document has no pages"),
    ("xref", 0.10, "has a cross-reference table", "no xref table or stream"),
    ("trailer", 0.05, "has a trailer pointing at the catalog", "no trailer with /Root"),
    ("content", 0.10, "pages carry content streams", "no content stream: the pages look empty"),
)

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def assess(data: bytes) -> dict[str, Any]:
    """Score in [0, 1] (three decimals), page count and one finding per check."""
    head, tail = data[:1024], data[-1024:]
    results = {
        "pdf_header": head.lstrip().startswith(b"%PDF-"),
        "eof_marker": b"%%EOF" in tail,
        "catalog": re.search(rb"/Type\s*/Catalog", data) is not None,
        "page_tree": re.search(rb"/Type\s*/Pages", data) is not None,
        "pages": _PAGE.search(data) is not None,
        "xref": b"xref" in data or b"/XRef" in data,
        "trailer": b"trailer" in data and b"/Root" in data,
        "content": b"/Contents" in data and b"stream" in data,
    }
    findings = []
    score = 0.0
    for name, weight, ok_text, bad_text in _CHECKS:
        passed = results[name]
        score += weight if passed else 0.0
        findings.append(
            {"check": name, "passed": passed, "weight": weight, "detail": ok_text if passed else bad_text}
        )
    score = round(score, 3)
    return {
        "completeness_score": score,
        "page_count": len(_PAGE.findall(data)),
        "size_bytes": len(data),
        "findings": findings,
        "model": MODEL,
    }
