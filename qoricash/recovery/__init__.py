"""Backups you can restore: dumps with a manifest, off-site copies, restore and verification.

- `databases`: the database side (pg_dump/pg_restore or SQLite's backup API, row counts and checksums
  of every table, scratch databases).
- `manifest`: the JSON written beside each dump (SHA-256, size, per-table rows and checksums).
- `archive`: where dumps live (a local folder and the private storage under `backups/`), listing,
  fetching by name and retention.
- `media`: copying the private files from one storage backend to another (migrate_media).

The commands (backup_database, restore_database, verify_backup, storage_report, migrate_media) are
thin wrappers; docs/backups.md is the Master's procedure.
"""


class RecoveryError(Exception):
    """A backup, restore or verification step failed; the message says what and what to do."""
