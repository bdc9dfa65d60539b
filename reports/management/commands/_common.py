"""Shared argument checks of the report commands: every bad argument is a CommandError in Spanish."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from reports import services


def parse_date(value, option):
    try:
        return services.parse_date(value, option)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None


def check_output(value):
    if not value:
        raise CommandError(_("Missing --output FILE (the .xlsx file to write)."))
    path = Path(value).expanduser()
    if path.is_dir():
        raise CommandError(_("--output %(path)s is a directory; give a file name.") % {"path": path})
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CommandError(
            _("Cannot write %(path)s: the folder %(folder)s does not exist.") % {"path": path, "folder": folder}
        )
    if not os.access(folder, os.W_OK):
        raise CommandError(
            _("Cannot write %(path)s: no write permission on %(folder)s.") % {"path": path, "folder": folder}
        )
    return path


@contextmanager
def atomic_output(path):
    """Write to a temporary file next to `path` and rename it at the end: no half-written file."""
    try:
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)  # noqa: SIM115
    except OSError as exc:
        raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc})
    try:
        with handle:
            yield handle
        os.replace(handle.name, path)
    except OSError as exc:
        raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc})
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
