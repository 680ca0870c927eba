"""What `manage.py runserver` serves in development (DEBUG on).

Production servers import archive.wsgi (or archive.asgi), which refuse to serve with DEBUG on;
runserver reads WSGI_APPLICATION, which points here only when DEBUG is on.
"""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
