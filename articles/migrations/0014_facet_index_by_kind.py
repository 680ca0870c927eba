import django.db.models.deletion
from django.db import migrations, models

# Django's own AlterField would rebuild articles_article on SQLite to drop one index, and a rebuilt
# table loses its triggers (the search index's and the archive revision's). Only the index goes.
PUBLISHER_INDEX = "articles_article_publisher_id_95fc2d71"


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_judgement_position_smallint_max"),
        ("people", "0010_statement_position_smallint_max"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="article",
                    name="publisher",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="articles",
                        to="articles.publisher",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{PUBLISHER_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{PUBLISHER_INDEX}" ON "articles_article" ("publisher_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["status", "kind", "publisher", "year"], name="article_facet_columns_kind"),
        ),
        migrations.RunSQL("ANALYZE articles_article", reverse_sql=migrations.RunSQL.noop, elidable=True),
    ]
