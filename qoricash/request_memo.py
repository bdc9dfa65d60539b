"""Values computed once per request and shared by whoever asks for them during it (e.g. several
index panels listing rows read by one query)."""


def memo(request, key, compute):
    """`compute()` the first time `key` is asked for during `request`, the same value afterwards."""
    cache = request.__dict__.setdefault("_panel_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]
