"""Indexes for the list searches at district scale, PostgreSQL only (identity/filters.py).

- ``identity_person (name COLLATE "C", id)``: a name prefix (``LIKE '王%'``) is a range of it,
  read in order; the default-collation ``name`` index serves neither (6–9 s at 2.2 million).
- ``identity_enterprise`` trigram GIN on ``UPPER(name)`` (pg_trgm): name-contains of three
  characters or more without a sequential scan.
- ``identity_person (verification_level)``: the level filter; a rare level otherwise walks the
  whole name index (2 s).

On SQLite (tests, `make run`) there is nothing to do: its tables are small. The indexes are not
in the models' state, so ``makemigrations`` leaves them alone; the demo loader keeps them (it
drops and restores every index by its definition).
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS identity_person_name_c_id ON identity_person ((name COLLATE "C"), id)',
    "CREATE INDEX IF NOT EXISTS identity_enterprise_name_trgm ON identity_enterprise "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS identity_person_verification_level "
    "ON identity_person (verification_level)",
]
DROP = [
    "DROP INDEX IF EXISTS identity_person_verification_level",
    "DROP INDEX IF EXISTS identity_enterprise_name_trgm",
    "DROP INDEX IF EXISTS identity_person_name_c_id",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_reference_data")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
