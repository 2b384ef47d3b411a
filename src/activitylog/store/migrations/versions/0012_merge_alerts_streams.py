"""One head again: IP location (0008), streams (0009), alerts (0010) and alert delivery
(0011) were written side by side off 0006/0007; nothing to change.

Revision ID: 0012
Revises: 0008, 0009, 0010, 0011
"""

revision = "0012"
down_revision = ("0008", "0009", "0010", "0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
