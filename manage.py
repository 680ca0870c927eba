#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    # manage.py is the developer's tool: development mode unless told otherwise (DJANGO_DEBUG=0).
    # Production enters through archive.wsgi / archive.asgi, which keep the strict defaults.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
