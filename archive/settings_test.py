"""Settings for the test suite: the real settings with a throwaway key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-key-not-for-any-deployment")

from archive.settings import *  # noqa: E402,F403

# The manifest exists only after collectstatic; tests render templates without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the finders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
