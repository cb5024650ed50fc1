r"""The APEX reference service: what one sandbox replica runs (README).

The sandbox daemon starts each replica of a revision as a real process of this package. To run one by
hand (for debugging the service itself), give it a migrated database, an Azurite (the sandbox's Blob Storage)
and a signing key:

    . .venv/bin/activate && mkdir -p /tmp/apex-replica
    python - <<'PY'
    from pathlib import Path
    from alembic import command
    from alembic.config import Config
    from apexops.schema import MIGRATIONS_DIR
    cfg = Config(); cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", "sqlite:////tmp/apex-replica/apex.db")
    command.upgrade(cfg, "head")
    from apexops.sandbox.identity import SandboxIdentity
    SandboxIdentity(Path("/tmp/apex-replica")).ensure_key()
    from apexops.sandbox import azurite
    print(azurite.start(Path("/tmp/apex-replica")).account_url)   # stop it with azurite.stop(...)
    PY
    APEX_DATABASE_URL=sqlite:////tmp/apex-replica/apex.db \
    APEX_BLOB_ENDPOINT=<the account URL printed above> \
    APEX_AUTH_AUDIENCE=api://apex-local-client \
    APEX_AUTH_KEY_FILE=/tmp/apex-replica/identity/signing.key \
    APEX_FAULT_PROFILE='{"error_rate":0.1}' \
    CONTAINER_APP_REVISION=apex-backend-local--manual CONTAINER_APP_REPLICA_NAME=manual-1 \
    python -m apexops.sandbox.service --host 127.0.0.1 --port 8001

    curl -s localhost:8001/health/ready
    TOKEN=$(python -c "from pathlib import Path; from apexops.sandbox.identity import SandboxIdentity as S; \
      print(S(Path('/tmp/apex-replica')).mint('api://apex-local-client').authorization_header()['Authorization'])")
    curl -s -H "Authorization: $TOKEN" 'localhost:8001/api/v1/projects/?page=1&page_size=10'

Environment (the contract with the daemon, see INTERFACES.md):
    APEX_DATABASE_URL      SQLAlchemy URL (SQLite file or PostgreSQL); tables from apexops.schema
    APEX_BLOB_ENDPOINT     Blob Storage account URL (Azurite: http://127.0.0.1:<port>/devstoreaccount1);
                           no key: the development account's key is Azurite's published constant; the
                           uploads and processed containers are created
    APEX_AUTH_AUDIENCE     the audience tokens must carry, e.g. api://apex-local-client
    APEX_AUTH_KEY_FILE     the sandbox identity's HS256 key file (hex); APEX_AUTH_ISSUER optional
    APEX_FAULT_PROFILE     FaultProfile.to_json() of the image; absent or {} = healthy
    APEX_IMAGE, APP_VERSION, CONTAINER_APP_NAME, CONTAINER_APP_REVISION, CONTAINER_APP_REPLICA_NAME, LOG_LEVEL
    AZURE_STORAGE_CONTAINER_UPLOADS / _PROCESSED (default uploads / processed)

Behaviour:
    - stdout: one JSON object per line {ts, level, logger, message, ...}; one access line per request
      (logger apex.access: method, path, route, status, duration_ms); exceptions as kind=exception with
      type, message, problem_id, traceback.
    - every response carries x-apex-revision, x-apex-replica, x-apex-route (route template or `unmatched`).
    - /api/* needs `Authorization: Bearer <token>`; a 401 says why in WWW-Authenticate's
      error_description and in the body's `reason` (missing, malformed, bad_signature, wrong_audience,
      wrong_issuer, expired, not_yet_valid, ...).
    - DELETE /api/v1/projects/{id} archives (status ARCHIVED, kept, hidden from the default listing;
      `?include_archived=true` shows it). DELETE /api/v1/documents/{id} deletes the blob and marks the row
      DELETED (kept for audit; GET answers 404 afterwards).
    - faults (APEX_FAULT_PROFILE, see apexops.sandbox.images.FaultProfile): errors and latency are applied
      to authenticated requests of matching routes before the handler runs (a faulted POST changes
      nothing); errors are 500s logged as kind=exception (DatabaseTimeoutError by default); access lines
      carry `fault` for the requests a profile touched; draws are seeded by (profile.seed, replica name).
    - start-up: about 0.6 s from spawn to /health/ready 200 on an idle 2-core machine
      (`python benchmarks/sandbox_replica_startup.py`); FastAPI, SQLAlchemy and uvicorn are the cost,
      PyJWT is imported in the background after start.
    - exit codes: 1 startup failure or simulated crash, 2 usage error or port not bindable; SIGTERM shuts
      down gracefully (at most 5 s) and the process then ends by the signal (returncode -15).
"""
