"""Where dumps live: a local folder and, off the machine, the private storage under `backups/`.

Render's disk is wiped at every deploy, so only the storage copy counts as a backup there. The
storage is the project's private one (local folder, Cloudinary as authenticated raw files, or S3):
a dump is as sensitive as the database and is never reachable through a public URL.

Names carry their moment in local time, `qoricash_YYYYmmdd_HHMMSS.dump` (`.sqlite3` for SQLite),
so retention and listings never depend on a backend's file dates.
"""

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages
from django.utils import timezone
from django.utils.translation import gettext as _

from qoricash.recovery import RecoveryError
from qoricash.recovery.databases import POSTGRESQL, SQLITE
from qoricash.recovery.manifest import manifest_name

PREFIX = "qoricash_"
FOLDER = "backups"
SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}
NAME_RE = re.compile(r"^qoricash_(\d{8}_\d{6})\.(dump|sqlite3|json)$")


def new_name(vendor, moment=None):
    moment = timezone.localtime(moment or timezone.now())
    return f"{PREFIX}{moment:%Y%m%d_%H%M%S}{SUFFIXES[vendor]}"


def moment_of(name):
    """The aware moment a backup name carries, or None for a name that is not a backup's."""
    match = NAME_RE.match(Path(name).name)
    if not match:
        return None
    return timezone.make_aware(datetime.strptime(match.group(1), "%Y%m%d_%H%M%S"))


def is_dump(name):
    return moment_of(name) is not None and not name.endswith(".json")


def storage():
    return storages["default"]


def key(name):
    return f"{FOLDER}/{name}"


def _backend_name():
    from django.conf import settings

    return settings.STORAGE_BACKEND


def upload(*paths):
    """Copy files to the storage under backups/, same names; the dump before its manifest."""
    st = storage()
    keys = []
    for path in paths:
        path = Path(path)
        target = key(path.name)
        try:
            if st.exists(target):
                st.delete(target)
            with path.open("rb") as f:
                saved = st.save(target, File(f, name=path.name))
        except Exception as exc:
            raise RecoveryError(
                _("Upload of %(name)s to the %(backend)s storage failed: %(error)s")
                % {"name": path.name, "backend": _backend_name(), "error": exc}
            ) from exc
        if saved != target:
            raise RecoveryError(
                _("The storage saved %(name)s as %(saved)s instead of %(key)s.")
                % {"name": path.name, "saved": saved, "key": target}
            )
        keys.append(saved)
    return keys


@dataclass
class Entry:
    name: str
    created: datetime
    size: int
    local: bool = False
    stored: bool = False


def _stored_names():
    try:
        _dirs, files = storage().listdir(FOLDER)
    except FileNotFoundError:
        return []
    except Exception as exc:
        raise RecoveryError(
            _("Could not list backups in the %(backend)s storage: %(error)s")
            % {"backend": _backend_name(), "error": exc}
        ) from exc
    return [name for name in files if is_dump(name)]


def _local_names(folder):
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [p.name for p in folder.iterdir() if is_dump(p.name)]


def listing(folder):
    """Every dump locally and in storage, newest first."""
    entries = {}
    for name in _local_names(folder):
        entries[name] = Entry(name, moment_of(name), (Path(folder) / name).stat().st_size, local=True)
    for name in _stored_names():
        entry = entries.get(name)
        if entry is None:
            entry = entries[name] = Entry(name, moment_of(name), storage().size(key(name)))
        entry.stored = True
    return sorted(entries.values(), key=lambda e: e.created, reverse=True)


def in_storage(name):
    try:
        return storage().exists(key(name))
    except Exception:
        # Only a fact for the record after a restore: an unreachable storage must not fail it.
        return False


def _download(name, workdir):
    target = Path(workdir) / name
    try:
        with storage().open(key(name), "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise RecoveryError(
            _("Could not fetch %(name)s from the %(backend)s storage: %(error)s")
            % {"name": name, "backend": _backend_name(), "error": exc}
        ) from exc
    return target


def _candidates(name):
    if NAME_RE.match(name):
        return [name]
    return [f"{name}{suffix}" for suffix in SUFFIXES.values()]


def fetch(name_or_path, folder, workdir):
    """(dump, manifest) paths for a local path, a name in the local folder, or a name in storage."""
    path = Path(name_or_path)
    if path.is_file():
        return path, path.with_name(manifest_name(path.name))
    for name in _candidates(path.name):
        local = Path(folder) / name
        if local.is_file():
            return local, local.with_name(manifest_name(name))
    try:
        for name in _candidates(path.name):
            if storage().exists(key(name)):
                manifest = key(manifest_name(name))
                if not storage().exists(manifest):
                    raise RecoveryError(
                        _("%(name)s is in storage without its manifest: it cannot be checked.") % {"name": name}
                    )
                return _download(name, workdir), _download(manifest_name(name), workdir)
    except RecoveryError:
        raise
    except Exception as exc:
        raise RecoveryError(
            _("Could not look for %(name)s in the %(backend)s storage: %(error)s")
            % {"name": path.name, "backend": _backend_name(), "error": exc}
        ) from exc
    raise RecoveryError(
        _(
            "No backup named %(name)s in %(folder)s/ or in the %(backend)s storage. "
            "`python manage.py backup_database --list` shows the ones there are."
        )
        % {"name": path.name, "folder": folder, "backend": _backend_name()}
    )


def prune(folder, keep_days, *, keep=(), in_storage=True):
    """Delete dumps (and manifests) older than keep_days, locally and in storage; return what went."""
    limit = timezone.now() - timedelta(days=keep_days)
    gone = []
    for name in sorted(_local_names(folder)):
        if name not in keep and moment_of(name) < limit:
            for victim in (name, manifest_name(name)):
                (Path(folder) / victim).unlink(missing_ok=True)
            gone.append(("local", name))
    if not in_storage:
        return gone
    st = storage()
    for name in sorted(_stored_names()):
        if name not in keep and moment_of(name) < limit:
            try:
                for victim in (name, manifest_name(name)):
                    if st.exists(key(victim)):
                        st.delete(key(victim))
            except Exception as exc:
                raise RecoveryError(
                    _("Could not delete the old backup %(name)s from storage: %(error)s") % {"name": name, "error": exc}
                ) from exc
            gone.append(("storage", name))
    return gone
