"""Initial schema (APEX revision 0001, loaded from apexops/schema/migrations, not copied)

The rehearsal history builds on the real APEX history up to the sandbox's baseline, so a database seeded by
`apexops sandbox up` is at a revision this history knows.
"""

from __future__ import annotations

from apexops.release.scenarios import apex_revision

revision, down_revision, branch_labels, depends_on, upgrade, downgrade = apex_revision("0001")
