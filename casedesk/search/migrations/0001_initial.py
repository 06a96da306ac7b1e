"""Search: agency languages, and the index each database keeps itself (see casedesk/search/schema.py).

One migration for both databases: each statement list is chosen by the connection's vendor, so
PostgreSQL gets its tsvector column, trigger and GIN/pg_trgm indexes and SQLite its FTS5 table
and triggers. Rows that exist already are indexed here too.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from casedesk.search import schema


def forward(apps: Any, schema_editor: Any) -> None:
    for statement in schema.forward_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def backward(apps: Any, schema_editor: Any) -> None:
    for statement in schema.backward_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_invitations"),
        ("cases", "0002_conversations"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgencySearchLanguage",
            fields=[
                (
                    "agency",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.agency",
                    ),
                ),
                ("config", models.CharField(default="simple", max_length=20)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "config__in",
                                [
                                    "simple",
                                    "danish",
                                    "dutch",
                                    "english",
                                    "finnish",
                                    "french",
                                    "german",
                                    "hungarian",
                                    "italian",
                                    "norwegian",
                                    "portuguese",
                                    "romanian",
                                    "russian",
                                    "spanish",
                                    "swedish",
                                    "turkish",
                                ],
                            )
                        ),
                        name="search_language_known",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
