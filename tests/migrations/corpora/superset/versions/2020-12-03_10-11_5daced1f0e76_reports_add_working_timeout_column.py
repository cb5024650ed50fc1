# Licensed to the Apache Software Foundation (ASF) under one
# or more contributor license agreements.  See the NOTICE file
# distributed with this work for additional information
# regarding copyright ownership.  The ASF licenses this file
# to you under the Apache License, Version 2.0 (the
# "License"); you may not use this file except in compliance
# with the License.  You may obtain a copy of the License at
#
#   http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing,
# software distributed under the License is distributed on an
# "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
# KIND, either express or implied.  See the License for the
# specific language governing permissions and limitations
# under the License.
"""reports add working_timeout column

Revision ID: 5daced1f0e76
Revises: e38177dbf641
Create Date: 2020-12-03 10:11:22.894977

"""

# revision identifiers, used by Alembic.
revision = "5daced1f0e76"
down_revision = "811494c0cc23"

import sqlalchemy as sa
from alembic import op


def upgrade():
    op.add_column(
        "report_schedule",
        sa.Column("working_timeout", sa.Integer(), default=60 * 60 * 4, nullable=True),
    )


def downgrade():
    op.drop_column("report_schedule", "working_timeout")
