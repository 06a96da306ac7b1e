from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("support", "0007_escalation_limit")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="csat_rating",
            field=models.CharField(
                blank=True, choices=[("good", "Good"), ("bad", "Not good")], max_length=4
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="csat_comment",
            field=models.TextField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="conversation",
            name="csat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
