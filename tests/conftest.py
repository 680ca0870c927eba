import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the five seed articles, loaded as `make run` loads them."""
    with django_db_blocker.unblock():
        call_command("load_archive", verbosity=0)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test's writes are rolled back, and so is the archive revision they raised: a later
    test can reach the same revision with other data. Production readers see only committed
    revisions, so this is a test-isolation concern: start each test with an empty cache."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
