"""ChaosConversation moved to the chaos app (``chaos.0001_initial``); its table stays as it is."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ChaosConversation')],
            database_operations=[],
        ),
    ]
