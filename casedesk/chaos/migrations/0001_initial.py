"""Take over ChaosConversation from the jobs app, keeping its table (``jobs_chaosconversation``).

State only: on a fresh database ``jobs.0001_initial`` created the table; on an existing one it
is already there with its rows. ``jobs.0002_move_chaosconversation`` drops the model from the
jobs app's state.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_initial'),
        ('cases', '0001_initial'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ChaosConversation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64, unique=True)),
                        ('state', models.CharField(default='bot', max_length=20)),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.agency')),
                        ('case', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cases.case')),
                    ],
                    options={
                        'db_table': 'jobs_chaosconversation',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
