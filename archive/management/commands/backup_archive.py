"""A consistent copy of the whole database, history included, while the archive keeps serving.

SQLite: the online backup API (pages copied under a read transaction, so writers
carry on and the copy is one moment's state). PostgreSQL: pg_dump's custom format.
`restore_archive` puts a copy back.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def postgres_env(settings_dict) -> dict:
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    return env


class Command(BaseCommand):
    help = "Back up the archive's database to a file (SQLite online backup, or pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Default: backups/archive-<time>.sqlite3 or .dump")

    def handle(self, path=None, **options):
        settings_dict = connection.settings_dict
        vendor = connection.vendor
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        target = Path(path or f"backups/archive-{stamp}.{'sqlite3' if vendor == 'sqlite' else 'dump'}")
        if target.exists():
            raise CommandError(f"{target} exists: choose a new file name.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if vendor == "sqlite":
            source = sqlite3.connect(settings_dict["NAME"])
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            copy.close()
            source.close()
            if check != "ok":
                target.unlink()
                raise CommandError(f"The copy failed its integrity check ({check}); nothing was kept.")
        elif vendor == "postgresql":
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", settings_dict["NAME"]],
                env=postgres_env(settings_dict),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                target.unlink(missing_ok=True)
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No backup method for {vendor}.")
        self.stdout.write(f"Backed up the {vendor} database to {target} ({target.stat().st_size:,} bytes).")
