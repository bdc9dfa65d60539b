"""export_history and export_position: the files, the filters, progress lines and clear errors."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from accounts.models import AuditEntry
from operations.models import OperationStatus
from reports import excel
from reports.audit_actions import ReportAction
from reports.management.commands import export_history

from .conftest import lima

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def codes(path):
    ws = load_workbook(path)[excel.HISTORY_SHEET]
    out = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        out.append(row[0])
    return out


@pytest.fixture
def ops(make_op, trader, other_trader):
    return {
        "early": make_op("buy", owner=trader, at=lima(2026, 11, 1, 0, 0, 0), status=OperationStatus.COMPLETED),
        "mid": make_op("sell", "500.00", "3.7500", owner=other_trader, at=lima(2026, 11, 15, 12)),
        "late": make_op("buy", owner=trader, at=lima(2026, 11, 30, 23, 59, 59), status=OperationStatus.CANCELLED),
        "outside": make_op("buy", owner=trader, at=lima(2026, 12, 1, 0, 0, 0)),
    }


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_history_range_is_inclusive_lima_dates(ops, tmp_path):
    target = tmp_path / "h.xlsx"
    output = run("export_history", "--from", "2026-11-01", "--to", "2026-11-30", "--output", str(target))
    assert codes(target) == [ops["late"].code, ops["mid"].code, ops["early"].code]
    assert "3 operaciones escritas" in output
    # The printed totals are the file's: the cancelled purchase is listed but not added up.
    assert "Totales sin canceladas: 2 operaciones, USD 1,500.00, PEN 5,575.00 (1 canceladas no incluidas)." in output
    ws = load_workbook(target)[excel.HISTORY_SHEET]
    labels = {row[0]: row for row in ws.iter_rows(values_only=True) if row and isinstance(row[0], str)}
    assert labels["TOTAL (sin canceladas)"][3:7] == (2, 1500, None, 5575)
    assert labels["CANCELADAS (no suman en los totales)"][3:5] == (1, 1000)
    entry = AuditEntry.objects.latest("id")
    assert entry.action == ReportAction.HISTORY_EXPORTED and entry.actor is None and "export_history" in entry.message


def test_export_history_status_and_trader_filters(ops, tmp_path, trader):
    target = tmp_path / "h.xlsx"
    run(
        "export_history",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--status",
        "completed,cancelled",
        "--trader",
        trader.username,
        "--output",
        str(target),
    )
    assert codes(target) == [ops["late"].code, ops["early"].code]
    run(
        "export_history",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--status",
        "pending",
        "--status",
        "in_process",
        "--output",
        str(target),
    )
    assert codes(target) == [ops["mid"].code]


def test_export_history_prints_progress_on_long_runs(ops, tmp_path, monkeypatch):
    monkeypatch.setattr(export_history, "PROGRESS_EVERY", 1)
    output = run("export_history", "--from", "2026-11-01", "--to", "2026-12-31", "--output", str(tmp_path / "h.xlsx"))
    assert "1 / 4 filas (25 %)" in output and "4 / 4 filas (100 %)" in output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--to", "2026-11-30"], "Indique --from"),
        (["--from", "2026-13-01", "--to", "2026-11-30"], "--from: «2026-13-01» no es una fecha válida"),
        (["--from", "2026-11-30", "--to", "2026-11-01"], "es posterior a la fecha final"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--status", "done"], "Estado desconocido done"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--trader", "ghost"], "No existe el usuario «ghost»"),
        (["--from", "2026-11-01", "--to", "2026-11-30"], "Falta --output"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--output", "/nonexistent-dir/h.xlsx"], "no existe"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--output", "/tmp"], "es una carpeta"),
    ],
)
def test_export_history_bad_arguments(args, message, db):
    with pytest.raises(CommandError, match=message):
        call_command("export_history", *args, stdout=io.StringIO())


def test_export_position_writes_the_same_file_as_the_screen(make_op, tmp_path):
    make_op("buy", "10000.00", "3.7000", at=lima(2026, 11, 20, 9))
    make_op("sell", "6000.00", "3.7500", at=lima(2026, 11, 20, 10))
    make_op("sell", "6000.00", "3.7500", at=lima(2026, 11, 20, 10), status=OperationStatus.CANCELLED)
    target = tmp_path / "Posicion_2026-11-20.xlsx"
    output = run("export_position", "--date", "2026-11-20", "--output", str(target))
    assert "Posición del 20/11/2026 (2 operaciones)" in output
    ws = load_workbook(target)["Posición"]
    values = {row[0]: row for row in ws.iter_rows(values_only=True) if row and row[0]}
    assert values["Compras"][2:5] == (10000, 3.7, 37000)
    assert values["Spread del volumen calzado"][4] == 300
    assert values["USD neto (comprados − vendidos)"][5] == "COMPRADOS EN"
    assert values["TOTAL COMPRAS"][2] == 10000 and values["TOTAL COMPRAS"][11] == 22500
    entry = AuditEntry.objects.latest("id")
    assert entry.action == ReportAction.POSITION_EXPORTED and "20/11/2026" in entry.message


@pytest.mark.parametrize(
    "args, message",
    [
        (["--date", "20-11-2026", "--output", "/tmp/x.xlsx"], "no es una fecha válida"),
        (["--date", "2026-11-20"], "Falta --output"),
        (["--date", "2026-11-20", "--output", "/nonexistent-dir/p.xlsx"], "no existe"),
    ],
)
def test_export_position_bad_arguments(args, message, db):
    with pytest.raises(CommandError, match=message):
        call_command("export_position", *args, stdout=io.StringIO())


def test_no_partial_file_is_left_behind_on_failure(make_op, tmp_path, monkeypatch):
    make_op("buy", at=lima(2026, 11, 20, 9))

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(excel, "write_position", boom)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(CommandError, match="No space left"):
        call_command("export_position", "--date", "2026-11-20", "--output", str(out_dir / "p.xlsx"))
    assert list(out_dir.iterdir()) == []


def test_bad_arguments_exit_non_zero_from_the_shell(tmp_path):
    """From the command line a CommandError is a clear one-line message and exit status 1."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "export_history",
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-01",
            "--output",
            str(tmp_path / "h.xlsx"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "CommandError: La fecha inicial (30/11/2026) es posterior a la fecha final (01/11/2026)." in result.stderr
