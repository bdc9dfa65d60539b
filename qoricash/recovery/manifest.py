"""The manifest: a small JSON file beside each dump saying what a good copy of it looks like.

`qoricash_20261201_020000.dump` has `qoricash_20261201_020000.json` with the dump's size and SHA-256
(a truncated or altered file is refused before anything is touched), the database vendor, and the
row count and checksum of every table (what verify_backup and restore_database compare against).

Apps add facts of their own (e.g. the head of the audit chain) with `register_extra(key, func)` from
their registry: qoricash imports no app.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from qoricash.recovery import RecoveryError

log = logging.getLogger(__name__)

FORMAT = 1
_EXTRAS = {}


def register_extra(key, func):
    """Record `func()` (JSON-able) under `extras[key]` in every new manifest."""
    _EXTRAS[key] = func


def collect_extras():
    extras = {}
    for key, func in _EXTRAS.items():
        try:
            extras[key] = func()
        except Exception as exc:
            # A fact that cannot be read must not cost the night's backup; the manifest says so.
            log.exception("Backup manifest extra %s failed", key)
            extras[key] = {"error": str(exc)}
    return extras


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_name(dump_name):
    return f"{Path(dump_name).stem}.json"


@dataclass
class Manifest:
    name: str
    created: str
    vendor: str
    size: int
    sha256: str
    tables: dict
    extras: dict = field(default_factory=dict)
    format: int = FORMAT

    @classmethod
    def for_dump(cls, path, *, created, vendor, tables):
        path = Path(path)
        return cls(
            name=path.name,
            created=created.isoformat(),
            vendor=vendor,
            size=path.stat().st_size,
            sha256=sha256_of(path),
            tables=tables,
            extras=collect_extras(),
        )

    @classmethod
    def read(cls, path):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                **{key: data[key] for key in ("name", "created", "vendor", "size", "sha256", "tables")},
                extras=data.get("extras", {}),
            )
        except FileNotFoundError as exc:
            raise RecoveryError(
                _("The manifest %(name)s is missing: the dump cannot be checked.") % {"name": Path(path).name}
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise RecoveryError(
                _("The manifest %(name)s is unreadable or incomplete: %(error)s")
                % {"name": Path(path).name, "error": exc}
            ) from exc

    def write(self, path):
        Path(path).write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")

    def check(self, dump_path):
        """Refuse a dump that is not byte for byte the one this manifest describes."""
        dump_path = Path(dump_path)
        size = dump_path.stat().st_size
        if size != self.size:
            raise RecoveryError(
                _(
                    "%(name)s is %(size)s bytes but its manifest says %(expected)s: the file is truncated or "
                    "damaged. Nothing was touched; use another backup."
                )
                % {"name": dump_path.name, "size": f"{size:,}", "expected": f"{self.size:,}"}
            )
        if sha256_of(dump_path) != self.sha256:
            raise RecoveryError(
                _(
                    "%(name)s does not match the SHA-256 in its manifest: the file is damaged. Nothing was "
                    "touched; use another backup."
                )
                % {"name": dump_path.name}
            )

    @property
    def total_rows(self):
        return sum(t["rows"] for t in self.tables.values())


def compare(expected, actual):
    """Rows of (table, expected rows, actual rows, same?) over both sides' tables, sorted by name."""
    rows = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        same = (
            want is not None and got is not None and want["rows"] == got["rows"] and want["checksum"] == got["checksum"]
        )
        rows.append((table, want["rows"] if want else None, got["rows"] if got else None, same))
    return rows
