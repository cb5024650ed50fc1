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
"""empty message

Revision ID: e3970889f38e
Revises: ('4451805bbaa1', '1d9e835a84f9')
Create Date: 2018-07-22 09:32:36.986561

"""

# revision identifiers, used by Alembic.
revision = "e3970889f38e"
down_revision = ("4451805bbaa1", "1d9e835a84f9")

import sqlalchemy as sa
from alembic import op


def upgrade():
    pass


def downgrade():
    pass
