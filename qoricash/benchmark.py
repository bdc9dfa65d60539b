"""What `make bench` needs from the application, switched on only by BENCH=true (never in production).

- QueryCountMiddleware: each response says how many SQL queries it ran and its server time
  (X-Query-Count, X-Server-Time-Ms), so the benchmark reports them through the real URL stack.
- bare_admin_urls(): the operations list through a ModelAdmin with Django's defaults, on the same
  data, to compare our list against what Django gives without any tuning.
"""

import time

from django.apps import apps
from django.contrib import admin
from django.db import connections


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connections["default"].execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        response["X-Server-Time-Ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
        return response


class BareAdminSite(admin.AdminSite):
    site_header = "Django defaults"


def bare_admin_urls():
    site = BareAdminSite(name="bare")
    # By name: the project package imports no app.
    site.register(apps.get_model("operations", "Operation"))
    return site.urls
