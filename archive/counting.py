from django.db import models


class SubqueryCount(models.Subquery):
    """COUNT(*) of a correlated subquery, as a plain (non-aggregate) annotation.

    Unlike Count() it adds no GROUP BY to the outer query, so the annotated
    queryset can still be grouped for facet counts.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = models.IntegerField()

    def __init__(self, queryset, **extra):
        super().__init__(queryset.order_by().values("pk"), **extra)
