"""Copy every private file from one storage backend to another, proving each copy (migrate_media).

Keys stay the same, so the rows' references are right for the target as soon as STORAGE_BACKEND
names it: the switch is one setting, made once the command reports everything copied and verified.
Each copy is read back from the target and its size and SHA-256 compared with the ones recorded at
upload; only then does a `MediaCopy` row record it, which is what makes an interrupted run
resumable (a recorded file is never copied again) and a second run after the switch cheap.
"""

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.translation import gettext as _

from qoricash.models import MediaCopy
from qoricash.recovery import RecoveryError
from qoricash.recovery.usage import private_file_models


def storage_for(backend):
    """The private storage of `backend` ("local", "s3", "cloudinary") as settings configure it."""
    if backend not in settings.PRIVATE_STORAGES:
        raise RecoveryError(
            _("Unknown storage %(name)s: use one of %(names)s.")
            % {"name": backend, "names": ", ".join(settings.PRIVATE_STORAGES)}
        )
    if backend == "s3" and not settings.PRIVATE_STORAGES["s3"]["OPTIONS"].get("bucket_name"):
        raise RecoveryError(_("S3 is not configured: set AWS_STORAGE_BUCKET_NAME and the AWS keys first."))
    if backend == settings.STORAGE_BACKEND:
        return storages["default"]
    return storages.create_storage(settings.PRIVATE_STORAGES[backend])


def _read(storage, key):
    with storage.open(key, "rb") as f:
        data = f.read()
    return data, hashlib.sha256(data).hexdigest()


@dataclass
class Totals:
    copied: int = 0
    skipped: int = 0
    failed: list = field(default_factory=list)
    bytes: int = 0
    pending: int = 0


def stored_files():
    """(model label, pk, key, recorded size, recorded sha256) of every stored private file, in order."""
    for model in private_file_models():
        rows = model.objects.exclude(file="").order_by("pk").values_list("pk", "file", "size", "sha256")
        for pk, key, size, sha in rows.iterator():
            yield model._meta.label_lower, pk, key, size, sha


def _copy_one(source, target, key, size, sha):
    data, actual_sha = _read(source, key)
    if (size is not None and len(data) != size) or (sha and actual_sha != sha):
        raise RecoveryError(
            _("%(key)s in the source does not match its recorded size and SHA-256; it was not copied.") % {"key": key}
        )
    if target.exists(key):
        # Left by a run interrupted between writing and recording: keep it only if it is the same file.
        copy, copy_sha = _read(target, key)
        if copy_sha == actual_sha:
            return len(data), actual_sha
        target.delete(key)
    saved = target.save(key, ContentFile(data, name=key))
    if saved != key:
        raise RecoveryError(_("The target saved %(key)s as %(saved)s.") % {"key": key, "saved": saved})
    copy, copy_sha = _read(target, key)
    if len(copy) != len(data) or copy_sha != actual_sha:
        raise RecoveryError(_("The copy of %(key)s differs from the original after writing it.") % {"key": key})
    return len(data), actual_sha


def migrate(*, to, source=None, dry_run=False, limit=None, say=print):
    source_name = source or settings.STORAGE_BACKEND
    if source_name == to:
        raise RecoveryError(_("Source and target are the same storage (%(name)s).") % {"name": to})
    src, dst = storage_for(source_name), storage_for(to)
    done = set(MediaCopy.objects.filter(target=to).values_list("key", flat=True))
    files = list(stored_files())
    todo = [f for f in files if f[2] not in done]
    totals = Totals(skipped=len(files) - len(todo))
    if totals.skipped:
        say(_("%(n)s files already copied and verified: skipped.") % {"n": totals.skipped})
    if limit is not None:
        totals.pending = max(0, len(todo) - limit)
        todo = todo[:limit]
    for index, (label, pk, key, size, sha) in enumerate(todo, start=1):
        bar = progress_bar(index, len(todo))
        if dry_run:
            say(_("%(bar)s %(key)s: would be copied") % {"bar": bar, "key": key})
            totals.bytes += size or 0
            continue
        try:
            copied_size, copied_sha = _copy_one(src, dst, key, size, sha)
        except RecoveryError as exc:
            totals.failed.append(str(exc))
            say(f"{bar} {exc}")
            continue
        except Exception as exc:
            message = _("%(key)s could not be copied: %(error)s") % {"key": key, "error": exc}
            totals.failed.append(message)
            say(f"{bar} {message}")
            continue
        MediaCopy.objects.create(
            target=to, key=key, model=label, object_id=str(pk), size=copied_size, sha256=copied_sha
        )
        totals.copied += 1
        totals.bytes += copied_size
        say(_("%(bar)s %(key)s: copied and verified") % {"bar": bar, "key": key})
    return totals


def progress_bar(index, total, width=20):
    filled = round(width * index / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {index}/{total}"
