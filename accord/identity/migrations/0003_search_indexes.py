"""Indexes for the list searches at district scale, PostgreSQL only (identity/filters.py).

- ``identity_person (name COLLATE "C", id)``: a name prefix (``LIKE '王%'``) is a range of it,
  read in order; the default-collation ``name`` index serves neither (6–9 s at 2.2 million).
- ``identity_enterprise`` GIN on ``accord_bigrams(UPPER(name))``, the distinct two-character
  pieces of the name: name-contains without a sequential scan, for the two-character Chinese
  terms too, which have no trigram for pg_trgm to look up (filters.py says more). The
  function is costly to run on every row (~30 µs), and its COST says so, so that PostgreSQL
  reads the index rather than computing the pieces of each name it scans.
- ``identity_person (verification_level)``: the level filter; a rare level otherwise walks the
  whole name index (2 s).
- ``identity_enterprise (size, industry_id)``: size with a section or an industry, a few
  hundred enterprises found by two full scans otherwise (0.5 s).

On SQLite (tests, `make run`) there is nothing to do: its tables are small. The indexes are not
in the models' state, so ``makemigrations`` leaves them alone; the demo loader keeps them (it
drops and restores every index by its definition).
"""

from django.db import migrations

CREATE = [
    'CREATE INDEX IF NOT EXISTS identity_person_name_c_id ON identity_person ((name COLLATE "C"), id)',
    """CREATE OR REPLACE FUNCTION accord_bigrams(value text) RETURNS text[]
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
         SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
         FROM generate_series(1, char_length(value) - 1) AS i
       $$""",
    "CREATE INDEX IF NOT EXISTS identity_enterprise_name_bigrams ON identity_enterprise "
    "USING gin (accord_bigrams(UPPER(name::text)))",
    "CREATE INDEX IF NOT EXISTS identity_person_verification_level "
    "ON identity_person (verification_level)",
    "CREATE INDEX IF NOT EXISTS identity_enterprise_size_industry "
    "ON identity_enterprise (size, industry_id)",
]
DROP = [
    "DROP INDEX IF EXISTS identity_enterprise_size_industry",
    "DROP INDEX IF EXISTS identity_person_verification_level",
    "DROP INDEX IF EXISTS identity_enterprise_name_bigrams",
    "DROP FUNCTION IF EXISTS accord_bigrams(text)",
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
