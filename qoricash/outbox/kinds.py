"""Spanish names of the kinds of message, registered by the app that sends them (its registry.py)."""

from django.utils.translation import gettext as _

LABELS = {}


def register_kind(code, label):
    LABELS[code] = label


def label(code):
    if code in LABELS:
        return str(LABELS[code])
    if code.startswith("alert."):
        return _("Alert: %(kind)s") % {"kind": code.removeprefix("alert.").replace("_", " ")}
    return code


def choices():
    """(code, label) of every registered kind, for the admin's filter."""
    return sorted(((code, label(code)) for code in LABELS), key=lambda item: item[1].lower())
