"""The three recovery actions the commands wrap: back up, restore, verify.

Each reports progress through `say(text)` and raises RecoveryError (with what to do) on any failure;
nothing here prints or exits.
"""

import tempfile
from pathlib import Path

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from qoricash.models import BackupRecord
from qoricash.recovery import RecoveryError, archive, databases
from qoricash.recovery.manifest import Manifest, compare, manifest_name


def _remember(manifest, **facts):
    """Keep (or re-create: a restore brings back an older table) the backup's row."""
    defaults = {
        "created_at": manifest.created,
        "size": manifest.size,
        "sha256": manifest.sha256,
        "total_rows": manifest.total_rows,
        **facts,
    }
    record, _created = BackupRecord.objects.update_or_create(name=manifest.name, defaults=defaults)
    return record


def backup(*, folder, upload=False, keep_days=30, pg_dump="pg_dump", say=print):
    """Dump the default database with its manifest; optionally copy both to storage; prune old ones."""
    if keep_days < 0:
        raise RecoveryError(_("--keep-days cannot be negative."))
    target = databases.default_target()
    vendor = databases.vendor(target)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    moment = timezone.now().replace(microsecond=0)
    path = folder / archive.new_name(vendor, moment)
    if path.exists():
        raise RecoveryError(_("%(name)s already exists: wait a second and run it again.") % {"name": path.name})
    say(_("Dumping %(db)s …") % {"db": databases.describe(target)})
    tables = databases.dump(target, path, pg_dump=pg_dump)
    manifest = Manifest.for_dump(path, created=moment, vendor=vendor, tables=tables)
    manifest_path = path.with_name(manifest_name(path.name))
    manifest.write(manifest_path)
    say(
        _("Dump written: %(path)s (%(size)s bytes, %(tables)s tables, %(rows)s rows, SHA-256 %(sha)s…)")
        % {
            "path": path,
            "size": f"{manifest.size:,}",
            "tables": len(tables),
            "rows": f"{manifest.total_rows:,}",
            "sha": manifest.sha256[:12],
        }
    )
    record = _remember(manifest)
    where = str(path)
    if upload:
        say(_("Copying to the %(backend)s storage …") % {"backend": archive._backend_name()})
        keys = archive.upload(path, manifest_path)
        record.uploaded_at = timezone.now()
        record.save(update_fields=["uploaded_at"])
        where = _("%(local)s and %(backend)s storage %(key)s") % {
            "local": path,
            "backend": archive._backend_name(),
            "key": keys[0],
        }
    if keep_days:
        gone = archive.prune(folder, keep_days, keep={path.name}, in_storage=upload)
        for place, name in gone:
            say(_("Deleted old backup (%(place)s): %(name)s") % {"place": place, "name": name})
        # A row for a dump that exists nowhere any more would count in the storage report.
        from_storage = [name for place, name in gone if place == "storage"]
        local_only = [name for place, name in gone if place == "local"]
        BackupRecord.objects.filter(name__in=from_storage).delete()
        BackupRecord.objects.filter(name__in=local_only, uploaded_at__isnull=True).delete()
    say(_("Backup OK: %(name)s written to %(where)s.") % {"name": path.name, "where": where})
    return path, manifest


def _checked(name_or_path, folder, workdir):
    dump_path, manifest_path = archive.fetch(name_or_path, folder, workdir)
    manifest = Manifest.read(manifest_path)
    try:
        manifest.check(dump_path)
    except RecoveryError as exc:
        BackupRecord.objects.filter(name=manifest.name).update(
            verified_at=timezone.now(), verified_ok=False, verify_detail=str(exc)[:255]
        )
        raise
    return dump_path, manifest


def restore(name_or_path, *, folder, database_url=None, confirm, say=print):
    """Restore a checked dump into the default database (or `database_url`); return the comparison."""
    with tempfile.TemporaryDirectory(prefix="qoricash-restore-") as workdir:
        dump_path, manifest = _checked(name_or_path, folder, workdir)
        say(_("%(name)s matches its manifest (SHA-256 and size).") % {"name": manifest.name})
        target = databases.target_from_url(database_url) if database_url else databases.default_target()
        if databases.vendor(target) != manifest.vendor:
            raise RecoveryError(
                _("%(name)s is a %(dump)s backup; it cannot be restored into %(db)s.")
                % {"name": manifest.name, "dump": manifest.vendor, "db": databases.describe(target)}
            )
        if not confirm(databases.describe(target)):
            raise RecoveryError(_("Restore cancelled: nothing was changed."))
        say(_("Restoring into %(db)s …") % {"db": databases.describe(target)})
        if not database_url:
            # Our own idle connection must not hold anything the restore has to drop.
            connections.close_all()
        databases.restore(target, dump_path)
        rows = compare(manifest.tables, databases.table_stats(target))
    if not database_url:
        _remember(manifest, **({"uploaded_at": manifest.created} if archive.in_storage(manifest.name) else {}))
    return manifest, rows


def verify(name_or_path, *, folder, say=print):
    """Restore into a scratch database and compare every table with the manifest; return the rows."""
    with tempfile.TemporaryDirectory(prefix="qoricash-verify-") as workdir:
        dump_path, manifest = _checked(name_or_path, folder, workdir)
        say(_("%(name)s matches its manifest (SHA-256 and size).") % {"name": manifest.name})
        target = databases.default_target()
        if manifest.vendor == databases.SQLITE:
            stats = databases.dump_stats(dump_path, manifest.vendor)
        else:
            with databases.scratch_database(target) as scratch:
                say(_("Restoring into the scratch database %(name)s …") % {"name": scratch["NAME"]})
                databases.restore(scratch, dump_path)
                stats = databases.table_stats(scratch)
            say(_("Scratch database dropped."))
    rows = compare(manifest.tables, stats)
    differences = [row[0] for row in rows if not row[3]]
    detail = _("%(n)s tables differ: %(names)s") % {"n": len(differences), "names": ", ".join(differences)}
    _remember(
        manifest,
        verified_at=timezone.now(),
        verified_ok=not differences,
        verify_detail=detail[:255] if differences else "",
    )
    return manifest, rows


def newest(folder):
    """The name of the newest backup, for the weekly cron job that verifies 'the latest'."""
    entries = archive.listing(folder)
    if not entries:
        raise RecoveryError(_("There is no backup to verify yet."))
    return entries[0].name
