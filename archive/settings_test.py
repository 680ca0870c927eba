"""Settings for the test suite: the real settings with a throwaway key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-key-not-for-any-deployment")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# The test client speaks plain HTTP: no redirect to HTTPS (the setting itself is tested on its own).
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from archive.settings import *  # noqa: E402,F403

# The manifest exists only after collectstatic; tests render templates without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the finders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
