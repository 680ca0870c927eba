"""Bounds the two database engines disagree on, made the same on both."""

from django.core.validators import MaxValueValidator

# PostgreSQL's smallint holds up to 32767. Django takes a small integer field's range from the database,
# and SQLite's is 64-bit: without this, the embedded archive would keep a value production refuses (a
# fixture's position of 40000 loaded on SQLite, and was refused on PostgreSQL).
SMALLINT_MAX = MaxValueValidator(32767)
