"""The two editorial roles, as auth groups.

Contributor: adds and edits the archive's records and drafts articles; cannot
publish, withdraw or delete. Editor: everything, including publishing,
withdrawing and deleting (which history makes recoverable). The table is
frozen here, as a migration must be; tests/test_access.py declares what each
role may reach and checks it request by request.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATED_MODELS = [
    ("articles", "article"),
    ("articles", "inspection"),
    ("articles", "inspectionjudgement"),
    ("articles", "publisher"),
    ("articles", "localauthority"),
    ("people", "person"),
    ("people", "role"),
    ("people", "statement"),
]

GROUPS = {
    "Contributor": {"actions": ["add", "change", "view"], "extra": []},
    "Editor": {"actions": ["add", "change", "delete", "view"], "extra": [("articles", "publish_article")]},
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrations run; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grant in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            (app, f"{action}_{model}") for app, model in CURATED_MODELS for action in grant["actions"]
        ] + grant["extra"]
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0002_revision_triggers"),
        ("articles", "0010_versions_history_withdrawn"),
        ("people", "0008_versions_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
