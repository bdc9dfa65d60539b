"""Whatever is typed in an admin page's query string gets a page, a redirect or a 400, never a 500.

Django's admin turns most bad list filters into a redirect to `?e=1` (IncorrectLookupParameters),
but only for errors raised while the filters are *built*. Some values pass that step and fail later,
when the query is compiled or run, as a server error:

- a date hierarchy year past 9999 (`?at__year=99999999999999999999`: OverflowError), or December
  9999 (the end of the month overflows);
- a date part that is no year (`?created_at__year=0`: ValueError when its bounds are computed);
- a value the database adapter refuses (`?ip__in=abc`: not an address);
- `__regex` with an invalid pattern (PostgreSQL refuses it) and `__range`, which the admin passes
  unsplit (a string of n characters becomes n parameters for two placeholders).

`QueryStringGuardMixin` is mixed into every ModelAdmin by `QoriCashAdminSite.register`, so each list
(and the exports that replay a list's filters) rejects those the way Django rejects other bad
filters. Add pages get the same care for their initial values (`?effective_at=junk`).
"""

from datetime import datetime, timedelta
from functools import cache

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest, EmptyResultSet, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.timezone import make_aware

# Lookups no page of ours links to and that fail in the database rather than while filtering.
REFUSED_LOOKUPS = frozenset({"regex", "iregex", "range"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_date_hierarchy(params, field):
    """The bounds Django's date hierarchy computes from `field__year/month/day`, computed first here
    so that any value it cannot handle is a bad filter. `params` maps names to lists of values."""
    year = params.get(f"{field}__year")
    if year is None:
        return
    month = params.get(f"{field}__month")
    day = params.get(f"{field}__day")
    try:
        start = datetime(int(year[-1]), int(month[-1] if month is not None else 1), int(day[-1] if day else 1))
        if day:
            end = start + timedelta(days=1)
        elif month:
            end = (start + timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        make_aware(start)
        make_aware(end)
    except (ValueError, OverflowError) as exc:
        raise IncorrectLookupParameters(exc) from exc


def check_lookups(params):
    for key in params:
        refused = REFUSED_LOOKUPS.intersection(key.split(LOOKUP_SEP))
        if refused:
            raise IncorrectLookupParameters(f"lookup not allowed in a list filter: {key}")


def check_compiles(queryset):
    """Compile the list's query without running it: values the database adapter cannot take fail
    here, as a bad filter, instead of later inside the template."""
    try:
        _sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return  # a filter nothing can match (an integer beyond the column's range): an empty list
    except (ValueError, OverflowError, TypeError) as exc:
        raise IncorrectLookupParameters(exc) from exc
    # PostgreSQL drops integers beyond a column's range while compiling; SQLite's driver refuses
    # anything past 64 bits only when the query runs (OverflowError, inside the template).
    if any(type(p) is int and not INT64_MIN <= p <= INT64_MAX for p in params):
        raise IncorrectLookupParameters("integer out of range")


class GuardedChangeListMixin:
    def get_filters(self, request):
        if self.date_hierarchy:
            check_date_hierarchy(self.filter_params, self.date_hierarchy)
        check_lookups(self.get_filters_params())
        return super().get_filters(request)

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        # Only filters and a search put typed values in the query: a list without them (most page
        # views) is spared compiling its query once more.
        if self.get_filters_params() or self.query:
            check_compiles(queryset)
        return queryset


@cache
def guarded(changelist_class):
    if issubclass(changelist_class, GuardedChangeListMixin):
        return changelist_class
    return type(f"Guarded{changelist_class.__name__}", (GuardedChangeListMixin, changelist_class), {})


def _initial_value(field, value):
    """A date or time from the add page's query string as the form field reads it; None if it does
    not read (the admin's date widgets expect a date object and fail on text)."""
    try:
        return field.formfield().to_python(value)
    except (ValidationError, ValueError, OverflowError):
        return None


class QueryStringGuardMixin:
    def get_changelist(self, request, **kwargs):
        return guarded(super().get_changelist(request, **kwargs))

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            if not isinstance(value, str):
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if isinstance(field, models.DateField | models.TimeField):
                parsed = _initial_value(field, value)
                if parsed is None:
                    del initial[name]
                else:
                    initial[name] = parsed
        return initial

    def get_export_queryset(self, request):
        # django-import-export builds the list's queryset outside changelist_view, which is where
        # Django turns a bad filter into `?e=1`: here it is the 400 page instead.
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters as exc:
            raise BadRequest(str(exc)) from exc
