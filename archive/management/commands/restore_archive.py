"""Put a backup made by backup_archive back in place of the current database.

SQLite: the online backup API in reverse (the file is replaced page by page in one
transaction). PostgreSQL: pg_restore --clean into the configured database.

Caches (counts, page keys, kept lists, whole pages) are keyed by the archive revision, which every
write raises. A backup holds an older revision, and the numbers between it and the replaced
database's were given to data that is no longer there: served again, their cached pages and counts
would describe it. So the restored archive's revision is set past both, a number no cache has seen.
"""

import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from archive.management.commands.backup_archive import postgres_env
from archive.models import ArchiveRevision


class Command(BaseCommand):
    help = "Restore the archive's database from a file made by backup_archive."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the current database.")

    def handle(self, path, yes=False, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No such backup: {source}")
        settings_dict = connection.settings_dict
        if not yes and input(f"Replace the database {settings_dict['NAME']} with {source}? [y/N] ").lower() != "y":
            raise CommandError("Nothing was restored.")
        replaced = revision()
        connection.close()
        if connection.vendor == "sqlite":
            backup = sqlite3.connect(source)
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CommandError(f"{source} fails SQLite's integrity check; nothing was restored.")
            target = sqlite3.connect(settings_dict["NAME"])
            with target:
                backup.backup(target)
            target.close()
            backup.close()
        elif connection.vendor == "postgresql":
            result = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", settings_dict["NAME"], str(source)],
                env=postgres_env(settings_dict),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No restore method for {connection.vendor}.")
        restored = revision()
        if restored is not None:
            ArchiveRevision.objects.filter(pk=1).update(number=max(restored, replaced or 0) + 1)
        self.stdout.write(f"Restored {settings_dict['NAME']} from {source}.")


def revision() -> int | None:
    """The archive revision of the configured database, or None where it has none (new, or not migrated)."""
    try:
        return ArchiveRevision.current()
    except (DatabaseError, ArchiveRevision.DoesNotExist):
        return None
