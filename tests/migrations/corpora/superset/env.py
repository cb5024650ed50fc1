"""apexops's Alembic env for a vendored history: the revisions are the project's own, the runner is ours.

The project's original env.py imports its application (models, settings); linting and offline rendering
need neither, so this env hands Alembic to apexops.migrations.alembic_env (offline rendering per dialect).
"""

from apexops.migrations.alembic_env import run

run(None)
