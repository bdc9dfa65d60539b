"""Benchmark: which xlsx writer the exports use. Not a test: run it by hand, copy the figures into
docs/benchmarks.md ("Exportaciones").

Writes the same generated history-like rows (13 columns: 9 texts, 3 numbers with formats, 1 date)
with each candidate, each in a fresh process, and prints wall time and the process's peak RSS:

    .venv/bin/python bench/xlsx_writers.py --rows 180000

Candidates: openpyxl write-only with lxml, openpyxl write-only without lxml (pure-Python XML), and
XlsxWriter with constant_memory (rows flushed to a temporary file as they are written).
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

COLUMNS = 13


def rows(count, seed=20261201):
    rnd = random.Random(seed)
    start = dt.datetime(2022, 1, 1, 9, 0)
    names = ["QUISPE MAMANI ROSA", "GARCIA LOPEZ JUAN", "INVERSIONES ANDINAS S.A.C.", "=HYPERLINK(1)"]
    for i in range(count):
        usd = Decimal(rnd.randint(100, 5_000_000)) / 100
        rate = Decimal(rnd.randint(36000, 38500)) / 10000
        yield [
            f"EXP-{i + 1:07d}",
            "Compra" if i % 2 else "Venta",
            f"DNI {rnd.randint(10_000_000, 99_999_999)}",
            names[i % 4],
            usd,
            rate,
            (usd * rate).quantize(Decimal("0.01")),
            f"BCP ****{rnd.randint(1000, 9999)}",
            f"Interbank ****{rnd.randint(1000, 9999)}",
            "Completada",
            start + dt.timedelta(minutes=7 * i),
            "Trader Uno",
            "Operador Dos",
        ]


def write_openpyxl(path, count):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from qoricash.spreadsheet import safe_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Historial")
    ws.append([f"H{i}" for i in range(COLUMNS)])

    def num(value, fmt):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = fmt
        return cell

    for row in rows(count):
        ws.append(
            [
                *(safe_cell(v) for v in row[:4]),
                num(row[4], "#,##0.00"),
                num(row[5], "0.0000"),
                num(row[6], '"S/ "#,##0.00'),
                *(safe_cell(v) for v in row[7:10]),
                num(row[10], "dd/mm/yyyy hh:mm"),
                *(safe_cell(v) for v in row[11:]),
            ]
        )
    wb.save(path)


def write_xlsxwriter(path, count):
    import xlsxwriter

    from qoricash.spreadsheet import FORMULA_TRIGGERS

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("Historial")
    usd = wb.add_format({"num_format": "#,##0.00"})
    rate = wb.add_format({"num_format": "0.0000"})
    pen = wb.add_format({"num_format": '"S/ "#,##0.00'})
    date = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    quoted = wb.add_format({"quote_prefix": True})
    ws.write_row(0, 0, [f"H{i}" for i in range(COLUMNS)])
    for r, row in enumerate(rows(count), start=1):
        for c in (0, 1, 2, 3, 7, 8, 9, 11, 12):
            value = row[c]
            if value.startswith(FORMULA_TRIGGERS):
                ws.write_string(r, c, value, quoted)
            else:
                ws.write_string(r, c, value)
        ws.write_number(r, 4, row[4], usd)
        ws.write_number(r, 5, row[5], rate)
        ws.write_number(r, 6, row[6], pen)
        ws.write_datetime(r, 10, row[10], date)
    wb.close()


WRITERS = {
    "openpyxl write-only + lxml": ("openpyxl", {"OPENPYXL_LXML": "True"}),
    "openpyxl write-only, no lxml": ("openpyxl", {"OPENPYXL_LXML": "False"}),
    "XlsxWriter constant_memory": ("xlsxwriter", {}),
}


def child(writer, count):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.xlsx")
        started = time.monotonic()
        (write_openpyxl if writer == "openpyxl" else write_xlsxwriter)(path, count)
        elapsed = time.monotonic() - started
        size = os.path.getsize(path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "size_mb": size / 1e6}))


def run_child(writer, env, count):
    out = subprocess.run(
        [sys.executable, __file__, "--child", writer, "--rows", str(count)],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=180_000)
    parser.add_argument("--rounds", type=int, default=1, help="writers alternate within each round")
    parser.add_argument("--child", choices=["openpyxl", "xlsxwriter"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    print(f"{args.rows:,} rows x {COLUMNS} columns, {args.rounds} round(s); load average {os.getloadavg()[0]:.1f}")
    results = {label: [] for label in WRITERS}
    for _round in range(args.rounds):
        for label, (writer, env) in WRITERS.items():
            results[label].append(run_child(writer, env, args.rows))
    print("| writer | seconds (best) | peak RSS | file |")
    print("|---|---|---|---|")
    for label, runs in results.items():
        best = min(runs, key=lambda r: r["seconds"])
        peak = max(r["peak_mb"] for r in runs)
        print(f"| {label} | {best['seconds']:.1f} s | {peak:.0f} MB | {best['size_mb']:.1f} MB |")


if __name__ == "__main__":
    main()
