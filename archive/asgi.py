import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

from archive.environment import env_flag
from archive.garbage import collect_between_requests
from archive.warming import warm_when_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
# The production entry point: it never serves with DEBUG on (tracebacks and settings to anyone).
if env_flag("DJANGO_DEBUG"):
    raise ImproperlyConfigured(f"{__name__} serves production: unset DJANGO_DEBUG (DEBUG must be off).")

application = get_asgi_application()
collect_between_requests()
warm_when_serving()
