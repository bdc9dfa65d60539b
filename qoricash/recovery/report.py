"""The table restore_database and verify_backup print: each table's rows in the manifest and now."""

from django.utils.translation import gettext as _


def write_comparison(write, rows):
    headers = (_("Table"), _("Backup"), _("Database"), _("Same"))
    width = max([len(headers[0])] + [len(row[0]) for row in rows])
    w1, w2 = max(10, len(headers[1])), max(10, len(headers[2]))
    write(f"{headers[0]:<{width}}  {headers[1]:>{w1}}  {headers[2]:>{w2}}  {headers[3]}")
    same_text, differs_text = _("yes"), _("NO")
    for table, expected, actual, same in rows:
        shown = [f"{value:,}" if value is not None else "—" for value in (expected, actual)]
        write(f"{table:<{width}}  {shown[0]:>{w1}}  {shown[1]:>{w2}}  {same_text if same else differs_text}")
    differing = sum(1 for row in rows if not row[3])
    total = sum(row[2] or 0 for row in rows)
    write(
        _("%(tables)s tables, %(rows)s rows; %(diff)s differ.")
        % {"tables": len(rows), "rows": f"{total:,}", "diff": differing}
    )
    return differing
