"""The replica's configuration, read once from its environment (as a container reads its env vars).

A missing or malformed variable is a startup failure with one line naming it, exactly what the runbook's
"Application fails to start: missing environment variables" looks like in the logs.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from apexops.errors import ConfigError
from apexops.sandbox.images import FaultProfile

__all__ = ["ServiceConfig"]

#: APEX_BLOB_ENDPOINT is the Blob Storage account URL (the sandbox's Azurite); it carries no key
REQUIRED = ("APEX_DATABASE_URL", "APEX_BLOB_ENDPOINT", "APEX_AUTH_AUDIENCE", "APEX_AUTH_KEY_FILE")
#: the LOG_LEVEL values a replica accepts, as `logging` names them
LOG_LEVELS = tuple(map(logging.getLevelName, (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)))


@dataclass(frozen=True)
class ServiceConfig:
    database_url: str
    blob_endpoint: str
    auth_audience: str
    auth_key_file: Path
    auth_issuer: str | None
    fault_profile: FaultProfile
    image: str
    version: str
    app_name: str
    revision: str
    replica: str
    uploads_container: str = "uploads"
    processed_container: str = "processed"
    log_level: str = logging.getLevelName(logging.INFO)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        env = os.environ if environ is None else environ
        for name in REQUIRED:
            if not env.get(name, "").strip():
                raise ConfigError(
                    f"required environment variable {name} is not set.",
                    hint="see `python -m apexops.sandbox.service --help`.",
                )
        profile = FaultProfile.from_json(env.get("APEX_FAULT_PROFILE"))
        revision = env.get("CONTAINER_APP_REVISION") or "apex-backend--manual"
        level = (env.get("LOG_LEVEL") or cls.log_level).upper()
        if level not in LOG_LEVELS:
            raise ConfigError(
                f"LOG_LEVEL {level!r} is not a log level.", hint="use DEBUG, INFO, WARNING or ERROR."
            )
        return cls(
            database_url=env["APEX_DATABASE_URL"].strip(),
            blob_endpoint=env["APEX_BLOB_ENDPOINT"].strip(),
            auth_audience=env["APEX_AUTH_AUDIENCE"].strip(),
            auth_key_file=Path(env["APEX_AUTH_KEY_FILE"].strip()),
            auth_issuer=(env.get("APEX_AUTH_ISSUER") or "").strip() or None,
            fault_profile=profile,
            image=env.get("APEX_IMAGE", ""),
            version=env.get("APP_VERSION", "") or env.get("APEX_IMAGE", "").rpartition(":")[2] or "dev",
            app_name=env.get("CONTAINER_APP_NAME", "apex-backend"),
            revision=revision,
            replica=env.get("CONTAINER_APP_REPLICA_NAME")
            or f"{revision}-{socket.gethostname()}-{os.getpid()}",
            uploads_container=env.get("AZURE_STORAGE_CONTAINER_UPLOADS") or "uploads",
            processed_container=env.get("AZURE_STORAGE_CONTAINER_PROCESSED") or "processed",
            log_level=level,
        )
