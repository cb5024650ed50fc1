"""The Registry port on Azure Container Registry's data plane (azure-containerregistry).

Tags, digests and creation times live only in the registry's data plane (`/acr/v1/...`), not in ARM
(azure-mgmt-containerregistry manages registries, not their content), hence azure-containerregistry. It
authenticates by exchanging the operator's Azure AD token for an ACR token (`/oauth2/exchange`, then
`/oauth2/token`), which needs the AcrPull role (or Reader) on the registry — the same right
`az acr repository show-tags` needs.
"""

from __future__ import annotations

from apexops import azcli
from apexops.azure._clients import AzureClients
from apexops.azure._convert import parse_time
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError, NotFoundError
from apexops.models import ImageTag

__all__ = ["AzureRegistry"]


class AzureRegistry:
    """`az acr repository show-tags / show` for the environment's registry."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings

    @property
    def server(self) -> str:
        return self._s.registry.server

    def _tag(self, repository: str, props: object) -> ImageTag:
        name = str(getattr(props, "name", "") or "")
        return ImageTag(
            repository=repository,
            tag=name,
            digest=str(getattr(props, "digest", "") or ""),
            created=parse_time(getattr(props, "created_on", None)),
            image=f"{self.server}/{repository}:{name}",
        )

    def list_tags(self, repository: str) -> list[ImageTag]:
        """Tags of a repository, newest first (by creation time)."""
        if not repository:
            raise ConfigError("no repository given.", hint=f"use e.g. {self._s.app.image_repository!r}.")
        from azure.containerregistry import ArtifactTagOrder

        with map_azure_errors(f"list tags of {self.server}/{repository}", self._s, service="acr",
                              subject=repository):
            tags = [self._tag(repository, p) for p in self._c.registry().list_tag_properties(
                repository, order_by=ArtifactTagOrder.LAST_UPDATED_ON_DESCENDING)]
        epoch = parse_time("1970-01-01T00:00:00Z")
        return sorted(tags, key=lambda t: (t.created or epoch, t.tag), reverse=True)

    def get_tag(self, repository: str, tag: str) -> ImageTag:
        if not tag:
            raise ConfigError("no image tag given.", hint="use e.g. tag='v1.2.3'.")
        try:
            with map_azure_errors(f"show tag {self.server}/{repository}:{tag}", self._s, service="acr",
                                  subject=repository):
                return self._tag(repository, self._c.registry().get_tag_properties(repository, tag))
        except NotFoundError as exc:
            try:
                known = [t.tag for t in self.list_tags(repository)[:10]]
            except Exception:  # the hint is best effort; the NotFoundError is what matters
                known = []
            show_tags = azcli.acr_repository_show_tags(self._s, repository=repository, oneline=True)
            hint = (f"known tags (newest first): {', '.join(known)}" if known
                    else f"push the image first; check {show_tags}")
            raise NotFoundError(f"image {self.server}/{repository}:{tag} does not exist ({exc.message}).",
                                hint=hint) from exc
