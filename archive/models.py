from django.db import models

from archive.prepared import PreparedQuery


class ArchiveRevision(models.Model):
    """One row whose number database triggers raise on every write to the archive's tables.

    Cached facet counts are keyed by it, so a write from any process, through
    the ORM, a bulk load or raw SQL, retires them at once.
    """

    number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="archive_revision_single_row")]

    def __str__(self):
        return f"Archive revision {self.number}"

    @classmethod
    def current(cls, using="default") -> int:
        # Every page asks this first (its caches are keyed by it), so it is a prepared query.
        found = CURRENT_REVISION(using=using)
        if not found:
            raise cls.DoesNotExist("The archive revision row is missing.")
        return found[0].number

    @classmethod
    def of_request(cls, request) -> int:
        """The revision a request reads the default database at: read once, its caches all keyed by it.

        The page cache reads it first (archive/page_cache.py); otherwise the first of the request's
        caches to need it does, and the others use that number.
        """
        revision = getattr(request, "archive_revision", None)
        if revision is None:
            revision = request.archive_revision = cls.current()
        return revision


CURRENT_REVISION = PreparedQuery(lambda: ArchiveRevision.objects.filter(pk=1))
