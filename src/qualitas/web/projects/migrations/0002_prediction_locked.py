"""The database refuses to change a PDSA cycle's question or prediction once its test
has started, and refuses to send a started cycle back to planning. The services check
the same first; this makes the rule hold for every writer (the admin, scripts, SQL).

Check constraints cannot compare a row with its previous values, so this is a trigger,
written once for SQLite and once for PostgreSQL."""

from django.db import migrations

MESSAGE = "the prediction of a PDSA cycle cannot be changed once its test has started"

SQLITE = [
    f"""
    CREATE TRIGGER pdsa_prediction_locked
    BEFORE UPDATE ON projects_pdsacycle
    FOR EACH ROW WHEN OLD.stage <> 'plan' AND (
        NEW.stage = 'plan'
        OR NEW.prediction IS NOT OLD.prediction
        OR NEW.question IS NOT OLD.question
        OR NEW.prediction_recorded_at IS NOT OLD.prediction_recorded_at
    )
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS pdsa_prediction_locked"]

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION pdsa_prediction_locked() RETURNS trigger AS $$
    BEGIN
        IF OLD.stage <> 'plan' AND (
            NEW.stage = 'plan'
            OR NEW.prediction IS DISTINCT FROM OLD.prediction
            OR NEW.question IS DISTINCT FROM OLD.question
            OR NEW.prediction_recorded_at IS DISTINCT FROM OLD.prediction_recorded_at
        ) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER pdsa_prediction_locked
    BEFORE UPDATE ON projects_pdsacycle
    FOR EACH ROW EXECUTE FUNCTION pdsa_prediction_locked()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS pdsa_prediction_locked ON projects_pdsacycle",
    "DROP FUNCTION IF EXISTS pdsa_prediction_locked()",
]


def _run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, ()):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
