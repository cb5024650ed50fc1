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
"""merging

Revision ID: 1cf8e4344e2b
Revises: ('e863403c0c50', '15a2c68a2e6b')
Create Date: 2024-01-19 08:42:37.694192

"""

# revision identifiers, used by Alembic.
revision = "1cf8e4344e2b"
down_revision = ("e863403c0c50", "15a2c68a2e6b")

import sqlalchemy as sa
from alembic import op


def upgrade():
    pass


def downgrade():
    pass
