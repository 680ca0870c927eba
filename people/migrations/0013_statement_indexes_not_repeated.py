import django.db.models.deletion
from django.db import migrations, models

# Django's own AlterField would rebuild people_statement on SQLite to drop an index, and a rebuilt table
# loses its triggers (the search index's and the archive revision's); it would rebuild the history
# table too, a million rows at 100k articles. Only the indexes go.
DROPPED = {
    # Led by the same column: the unique (article, position) and the (speaker, kind, article) indexes.
    "people_statement_article_id_f72162b8": ("people_statement", "article_id"),
    "people_statement_speaker_id_f0911257": ("people_statement", "speaker_id"),
    # A statement's history is read by its id.
    "people_historicalstatement_article_id_03af26e3": ("people_historicalstatement", "article_id"),
    "people_historicalstatement_speaker_id_297f93ba": ("people_historicalstatement", "speaker_id"),
    "people_historicalstatement_responds_to_id_17c7dfd9": ("people_historicalstatement", "responds_to_id"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0016_region_is_a_facet_value"),
        ("people", "0012_role_title_is_a_facet_value"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalstatement",
                    name="article",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.article",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalstatement",
                    name="responds_to",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        help_text="The inspection the remark is about, when it is about one.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.inspection",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalstatement",
                    name="speaker",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="people.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="statement",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="statements",
                        to="articles.article",
                    ),
                ),
                migrations.AlterField(
                    model_name="statement",
                    name="speaker",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="statements",
                        to="people.person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for index, (table, column) in DROPPED.items()
            ],
        ),
    ]
