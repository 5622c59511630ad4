"""pages: the payload as received on the wire (content_encoding, wire_body, payload_sha256)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Scrapy's HttpCompressionMiddleware decodes ``Content-Encoding`` before a spider sees
a body; ``crawler.middlewares.WireCaptureMiddleware`` keeps the bytes as received.
``body_gz`` keeps its meaning (gzip of the decoded body).  See docs/archive.md.
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('pages') as batch:
        batch.add_column(sa.Column('content_encoding', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('wire_body', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('payload_sha256', sa.String(length=64), nullable=True))
    # Pages stored before this revision hold the decoded body only (Scrapy had removed
    # Content-Encoding): that body is the only payload we can ever export for them.
    op.execute("UPDATE pages SET payload_sha256 = body_sha256 WHERE payload_sha256 IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('pages') as batch:
        batch.drop_column('payload_sha256')
        batch.drop_column('wire_body')
        batch.drop_column('content_encoding')
