"""Project measures start on a run chart and move to a control chart when the team
decides (issue 13). Links made before this showed a control chart (XmR): they keep
it, with a reason saying so, rather than changing under a team's feet."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def keep_control_charts(apps, schema_editor):
    ProjectMeasure = apps.get_model("projects", "ProjectMeasure")
    ProjectMeasure.objects.update(
        chart="control",
        chart_reason="Followed before projects started on run charts: kept on the "
        "control chart it was shown on.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_invitations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="projectmeasure",
            name="chart",
            field=models.CharField(
                choices=[("run", "Run chart"), ("control", "Control chart")],
                default="run",
                max_length=10,
                verbose_name="chart on the project's pages",
            ),
        ),
        migrations.AddField(
            model_name="projectmeasure",
            name="chart_decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="projectmeasure",
            name="chart_decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="projectmeasure",
            name="chart_reason",
            field=models.TextField(
                blank=True, help_text="Why the chart was chosen.", verbose_name="why"
            ),
        ),
        migrations.AddConstraint(
            model_name="projectmeasure",
            constraint=models.CheckConstraint(
                condition=models.Q(("chart__in", ["run", "control"])),
                name="project_measure_chart_known",
            ),
        ),
        migrations.RunPython(keep_control_charts, migrations.RunPython.noop),
    ]
