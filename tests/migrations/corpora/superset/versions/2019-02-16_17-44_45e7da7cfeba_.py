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

Revision ID: 45e7da7cfeba
Revises: ('e553e78e90c5', 'c82ee8a39623')
Create Date: 2019-02-16 17:44:44.493427

"""

# revision identifiers, used by Alembic.
revision = "45e7da7cfeba"
down_revision = ("e553e78e90c5", "c82ee8a39623")

import sqlalchemy as sa
from alembic import op


def upgrade():
    pass


def downgrade():
    pass
