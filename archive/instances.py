"""Model instances made without ``Model.__init__``, when nothing listens for it.

Given values in field order, ``Model.__init__`` only assigns each field's attname (no descriptor
on a concrete field's attname does more for a new object than store the value in ``__dict__``) and
sends ``pre_init`` and ``post_init``. For a model nothing listens on, assigning the values straight
to ``__dict__`` makes the same object at a fraction of the cost: it was a fifth of a fixture load's
time, and a sixth of a person page's (some 150 instances). Where a receiver is connected (an
ImageField, a third-party app), ``__init__`` runs as usual.
"""

from django.db.models import signals
from django.db.models.base import ModelState


def init_is_listened(model) -> bool:
    """Whether a receiver of pre_init or post_init would miss an instance made here."""
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)


def new_instance(model, attnames, values):
    """``model(*values)``, an unsaved instance, for a model ``init_is_listened`` says nothing listens on."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    instance._state = ModelState()
    return instance


def instance_from_db(model, using: str, attnames, values):
    """``model.from_db(using, attnames, values)``, for a model nothing listens on: the fields not
    in ``attnames`` are deferred (absent from ``__dict__``, loaded when first read), as there."""
    instance = new_instance(model, attnames, values)
    instance._state.adding = False
    instance._state.db = using
    return instance
