"""Fill an empty database with years of realistic, valid data for benchmarks and load tests."""

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.datagen.build import Plan, Refused, generate


class Progress:
    """One line per stage on the console, redrawn in place while a stage runs."""

    def __init__(self, out, live):
        self.out, self.live, self.started = out, live, time.monotonic()

    def elapsed(self):
        return f"{time.monotonic() - self.started:6.1f} s"

    def note(self, text):
        self.out.write(f"[{self.elapsed()}] {text}")

    def bar(self, label, total):
        return Bar(self, label, total)


class Bar:
    def __init__(self, progress, label, total):
        self.progress, self.label, self.total = progress, label, max(total, 1)
        self.shown, self.last = -1, 0

    def update(self, done):
        self.last = done
        step = done * 50 // self.total
        if self.progress.live and step != self.shown:
            self.shown = step
            bar = "#" * step + "." * (50 - step)
            self.progress.out.write(f"\r[{self.progress.elapsed()}] {self.label:<11}[{bar}] {done:>10,}", ending="")
            self.progress.out.flush()

    def done(self):
        if self.progress.live:
            self.progress.out.write("\r", ending="")
        self.progress.note(f"{self.label}: {self.last:,}".ljust(80))


class Command(BaseCommand):
    help = (
        "Generate N operations and M clients (deterministic for a --seed and --until) into an empty "
        "database: staff, rates, clients with accounts, operations in every status with deposits, "
        "payouts and events, goals. Refused when DEBUG is false unless --i-know-this-is-not-production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--operations", type=int, required=True)
        parser.add_argument("--clients", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--until", help="last day with operations, YYYY-MM-DD (default: today in Lima)")
        parser.add_argument("--days", type=int, help="days of history (default: 36,000 operations a year, ≤ 5 years)")
        parser.add_argument("--traders", type=int, default=10)
        parser.add_argument("--operators", type=int, default=4)
        parser.add_argument("--password", help="password of the generated staff (gen.master, gen.trader01…)")
        parser.add_argument("--i-know-this-is-not-production", action="store_true", dest="not_production")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "generate_data refuses to run with DEBUG=false: it fills the database with invented clients. "
                "On a benchmark or staging database, add --i-know-this-is-not-production."
            )
        if options["operations"] < 0 or options["clients"] < 1 or options["traders"] < 1 or options["operators"] < 1:
            raise CommandError("--operations must be ≥ 0; --clients, --traders and --operators ≥ 1.")
        until = None
        if options["until"]:
            try:
                until = dt.date.fromisoformat(options["until"])
            except ValueError:
                raise CommandError("--until must be a date, YYYY-MM-DD.") from None
        plan = Plan(
            operations=options["operations"],
            clients=options["clients"],
            seed=options["seed"],
            until=until,
            days=options["days"],
            traders=options["traders"],
            operators=options["operators"],
            password=options["password"],
        )
        progress = Progress(self.stdout, live=self.stdout.isatty())
        try:
            counts = generate(plan, progress)
        except Refused as exc:
            raise CommandError(str(exc)) from None
        summary = ", ".join(f"{name} {n:,}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"[{progress.elapsed()}] done: {summary}"))
