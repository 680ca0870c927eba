import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
# The production entry point: it never serves with DEBUG on (tracebacks and settings to anyone).
if os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
    raise ImproperlyConfigured(f"{__name__} serves production: unset DJANGO_DEBUG (DEBUG must be off).")

application = get_wsgi_application()
