"""Step 1 of procedure 30: the image tag exists in the registry (digest, age) before anything changes.

The runbook lists the tags and leaves the reader to spot theirs. Here a missing tag stops the procedure
with the known tags in the hint, and a present one is pinned by digest for the ledger, so "which build
did we deploy?" has an exact answer even if the tag is later moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError, NotFoundError
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.models import ImageTag
    from apexops.ports import Registry

__all__ = ["ImageCheck", "check_image", "validate_tag"]

#: the Docker/OCI tag grammar
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def validate_tag(tag: str, *, parameter: str = "image_tag") -> str:
    """The tag, stripped; ConfigError naming the parameter when it cannot be a tag at all."""
    value = (tag or "").strip()
    if not _TAG.fullmatch(value):
        raise ConfigError(
            f"{parameter} {tag!r} is not a valid image tag.",
            hint=f"set {parameter} to a tag like v1.2.3 or a commit SHA (letters, digits, '.', '_', '-').",
        )
    return value


def _age_text(age: timedelta | None) -> str:
    if age is None:
        return "unknown"
    s = age.total_seconds()
    if s < 0:
        return "in the future (registry clock?)"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} days"


@dataclass(frozen=True)
class ImageCheck:
    """A tag that exists: its full reference, digest, creation time and age."""

    tag: ImageTag
    age: timedelta | None

    @property
    def image(self) -> str:
        return self.tag.image

    @property
    def digest(self) -> str:
        return self.tag.digest

    def rows(self) -> list[dict[str, Any]]:
        created = self.tag.created.isoformat(timespec="seconds") if self.tag.created else "unknown"
        return [
            {
                "image": self.tag.image,
                "digest": self.tag.digest,
                "created": created,
                "age": _age_text(self.age),
                "status": Status.PASS,
            },
        ]


def check_image(registry: Registry, repository: str, tag: str, *, now: datetime | None = None) -> ImageCheck:
    """Look the tag up; NotFoundError listing the known tags (newest first) when it is not there."""
    tag = validate_tag(tag)
    try:
        found = registry.get_tag(repository, tag)
    except NotFoundError as exc:
        try:
            known = [t.tag for t in registry.list_tags(repository)]
        except Exception:  # the listing is a courtesy; the missing tag is the error
            known = []
        listing = ", ".join(known[:15]) + (" …" if len(known) > 15 else "")
        raise NotFoundError(
            f"image tag {tag!r} is not in {registry.server}/{repository}; nothing was changed.",
            hint=(f"known tags (newest first): {listing}. " if listing else (exc.hint or "") + " ")
            + "Push the image first, or re-run 30 with image_tag set to one of them.",
        ) from None
    now = now or datetime.now(UTC)
    age = now - found.created if found.created else None
    return ImageCheck(found, age)
