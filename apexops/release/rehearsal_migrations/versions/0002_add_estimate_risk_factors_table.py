"""Add estimate risk factors table (APEX revision 0002, loaded from apexops/schema/migrations, not copied)

The sandbox's baseline release is at this revision.
"""

from __future__ import annotations

from apexops.release.scenarios import apex_revision

revision, down_revision, branch_labels, depends_on, upgrade, downgrade = apex_revision("0002")
