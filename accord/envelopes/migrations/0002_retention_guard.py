"""LCL Art. 50: the database keeps every row of a completed envelope until its retention ends."""

from django.db import migrations

from accord.envelopes.retention import retention_guard


class Migration(migrations.Migration):
    dependencies = [("envelopes", "0001_initial")]
    operations = [retention_guard()]
