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
"""add_result_backend_time_logging

Revision ID: a65458420354
Revises: 2fcdcb35e487
Create Date: 2017-04-25 10:00:58.053120

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a65458420354"
down_revision = "2fcdcb35e487"


def upgrade():
    op.add_column(
        "query",
        sa.Column(
            "end_result_backend_time", sa.Numeric(precision=20, scale=6), nullable=True
        ),
    )


def downgrade():
    op.drop_column("query", "end_result_backend_time")
