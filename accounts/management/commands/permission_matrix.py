from pathlib import Path

from django.core.management.base import BaseCommand

from accounts import matrix


class Command(BaseCommand):
    help = "Write the permission matrix (roles table × admin URLs) as Markdown (docs/permissions.md)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write; stdout when omitted.")

    def handle(self, *args, output=None, **options):
        text = matrix.render_markdown()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"{output}: {len(matrix.all_rules())} URLs × {len(matrix.roles())} roles")
        else:
            self.stdout.write(text, ending="")
