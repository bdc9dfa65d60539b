"""The database side of backups: dump, restore, per-table facts and scratch databases.

A *target* is a Django-style settings dict (ENGINE, NAME, USER, PASSWORD, HOST, PORT, OPTIONS): the
default database's, or one parsed from `--database-url`. PostgreSQL goes through pg_dump/pg_restore
with the password in the child's environment only (never on a command line other users can read in
`ps`); SQLite through its backup API.

Row counts and checksums are what proves a restore complete. On PostgreSQL they are read inside
the very snapshot pg_dump dumps (`--snapshot`), so rows written while the backup runs can never
make a correct dump look wrong. A table's checksum is order-independent (md5 of the sorted md5s
of its rows as text) and read with fixed session settings, so the same rows give the same value on
any server.
"""

import contextlib
import hashlib
import re
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

import environ
from django.db import connections
from django.utils.translation import gettext as _

from qoricash.recovery import RecoveryError

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

# libpq settings that may sit in DATABASES OPTIONS, and the environment variable each becomes.
_LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
# Text forms of values that differ between servers unless fixed.
_SESSION = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
)


def default_target():
    return dict(connections["default"].settings_dict)


def target_from_url(url):
    try:
        return environ.Env.db_url_config(url)
    except Exception as exc:
        raise RecoveryError(_("The database URL could not be read: %(error)s") % {"error": exc}) from exc


def vendor(target):
    engine = target.get("ENGINE", "")
    if "postgresql" in engine:
        return POSTGRESQL
    if "sqlite3" in engine:
        return SQLITE
    raise RecoveryError(_("Unsupported database engine: %(engine)s") % {"engine": engine})


def describe(target):
    """Where a target points, for messages (never the password)."""
    if vendor(target) == SQLITE:
        return f"SQLite {target['NAME']}"
    host = target.get("HOST") or "localhost"
    port = f":{target['PORT']}" if target.get("PORT") else ""
    return _("PostgreSQL database %(name)s on %(server)s") % {"name": target["NAME"], "server": f"{host}{port}"}


# --- PostgreSQL plumbing ------------------------------------------------------------------------
def _pg_env(target):
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "PGPASSWORD": str(target.get("PASSWORD") or "")}
    for key, var in _LIBPQ_ENV.items():
        value = (target.get("OPTIONS") or {}).get(key)
        if value not in (None, ""):
            env[var] = str(value)
    return env


def _pg_args(target):
    args = ["-d", str(target["NAME"])]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if target.get(key):
            args += [flag, str(target[key])]
    return args


def _pg_connect(target, autocommit=False):
    import psycopg

    kwargs = {"dbname": target["NAME"], "autocommit": autocommit}
    for kw, key in (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD")):
        if target.get(key):
            kwargs[kw] = str(target[key])
    for key in _LIBPQ_ENV:
        value = (target.get("OPTIONS") or {}).get(key)
        if value not in (None, ""):
            kwargs[key] = str(value)
    try:
        return psycopg.connect(**kwargs)
    except psycopg.Error as exc:
        raise RecoveryError(
            _("Could not connect to %(db)s: %(error)s") % {"db": describe(target), "error": str(exc).strip()}
        ) from exc


def _major(version_text):
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise RecoveryError(_("Could not read a version from: %(text)r") % {"text": version_text})
    return int(match.group(1))


def _client(binary, target):
    """The absolute path of a PostgreSQL client program at least as new as the target's server."""
    path = shutil.which(binary)
    if not path:
        raise RecoveryError(
            _("%(program)s not found: install the PostgreSQL client (same major version or newer).")
            % {"program": binary}
        )
    client_version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    with contextlib.closing(_pg_connect(target, autocommit=True)) as conn:
        server_version = conn.execute("SHOW server_version").fetchone()[0]
    if _major(client_version) < _major(server_version):
        raise RecoveryError(
            _(
                "%(program)s is too old for this server: client %(client)s, server %(server)s. Install a "
                "PostgreSQL client of the server's major version or newer."
            )
            % {"program": Path(binary).name, "client": client_version.strip(), "server": server_version}
        )
    return path


def _pg_tables(cursor):
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_stats(conn):
    from psycopg import sql

    with conn.cursor() as cursor:
        for statement in _SESSION:
            cursor.execute(statement)
        stats = {}
        for table in _pg_tables(cursor):
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "
                    "FROM public.{} t"
                ).format(sql.Identifier(table))
            )
            rows, checksum = cursor.fetchone()
            stats[table] = {"rows": rows, "checksum": checksum}
    return stats


# --- SQLite plumbing ----------------------------------------------------------------------------
def _sqlite_connect(name):
    name = str(name)
    return sqlite3.connect(name, uri=name.startswith("file:"))


def _sqlite_stats(conn):
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    stats = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'  # names read from sqlite_master, quoted
        rows = conn.execute(f"SELECT * FROM {quoted}")  # noqa: S608
        # md5 is a checksum here, not a security measure.
        digests = sorted(hashlib.md5(repr(row).encode()).hexdigest() for row in rows)  # noqa: S324
        stats[table] = {"rows": len(digests), "checksum": hashlib.md5("".join(digests).encode()).hexdigest()}  # noqa: S324
    return stats


# --- What the commands use ----------------------------------------------------------------------
def dump(target, path, *, pg_dump="pg_dump"):
    """Write the target's whole database to `path`; return the per-table facts of what was written."""
    path = Path(path)
    if vendor(target) == SQLITE:
        with (
            contextlib.closing(_sqlite_connect(target["NAME"])) as src,
            contextlib.closing(sqlite3.connect(path)) as dst,
        ):
            src.backup(dst)
            return _sqlite_stats(dst)
    binary = _client(pg_dump, target)
    from psycopg import IsolationLevel

    with contextlib.closing(_pg_connect(target)) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        cmd = [binary, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(path), *_pg_args(target)]
        result = subprocess.run(cmd, capture_output=True, text=True, env=_pg_env(target))
        if result.returncode != 0:
            path.unlink(missing_ok=True)
            raise RecoveryError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})
        stats = _pg_stats(conn)
        conn.rollback()
    return stats


def restore(target, path, *, pg_restore="pg_restore"):
    """Replace the target's tables with the dump's, all or nothing."""
    if vendor(target) == SQLITE:
        with (
            contextlib.closing(sqlite3.connect(path)) as src,
            contextlib.closing(_sqlite_connect(target["NAME"])) as dst,
        ):
            src.backup(dst)
        return
    binary = _client(pg_restore, target)
    cmd = [
        binary,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        *_pg_args(target),
        str(path),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, env=_pg_env(target))
    if result.returncode != 0:
        raise RecoveryError(_("pg_restore failed (nothing was changed): %(error)s") % {"error": result.stderr.strip()})


def table_stats(target):
    if vendor(target) == SQLITE:
        with contextlib.closing(_sqlite_connect(target["NAME"])) as conn:
            return _sqlite_stats(conn)
    with contextlib.closing(_pg_connect(target)) as conn:
        stats = _pg_stats(conn)
        conn.rollback()
        return stats


def dump_stats(path, vendor_name):
    """The facts of a SQLite dump file read in place (a SQLite dump is itself a database)."""
    if vendor_name != SQLITE:
        raise RecoveryError(_("Only a SQLite dump can be read in place."))
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return _sqlite_stats(conn)


@contextlib.contextmanager
def scratch_database(target):
    """A new empty PostgreSQL database on the target's server, dropped on the way out."""
    from psycopg import sql

    name = f"{target['NAME']}"[:40] + f"_verify_{secrets.token_hex(4)}"
    with contextlib.closing(_pg_connect(target, autocommit=True)) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except Exception as exc:
            raise RecoveryError(
                _("Could not create the scratch database %(name)s: %(error)s. The database user needs CREATEDB.")
                % {"name": name, "error": exc}
            ) from exc
    try:
        yield {**target, "NAME": name}
    finally:
        with contextlib.closing(_pg_connect(target, autocommit=True)) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
