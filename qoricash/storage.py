"""Private file storage on Cloudinary, written around the cloudinary SDK.

django-cloudinary-storage (0.3.0, 2020) delivers everything as public `upload` resources: anyone
holding the URL can open an ID document. This storage uploads every file as an *authenticated*
raw resource and only ever hands out signed download URLs that expire within minutes
(`cloudinary.utils.private_download_url`, checked by Cloudinary's API against our secret).

- Keys are the random names made by `qoricash.files.private_upload_to`; the extension stays in the
  public id (raw resources keep it), so the same name works for PDFs and images alike.
- Credentials come from CLOUDINARY_URL and are read by the SDK on first use, never at import.
- `overwrite=False` makes Cloudinary refuse to replace an existing key; a collision is detected
  from the answer (`existing`) and raised instead of silently pointing two rows at one file.
"""

import time
import urllib.request

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

RESOURCE_TYPE = "raw"
DELIVERY_TYPE = "authenticated"


class CloudinaryStorageError(Exception):
    """The Cloudinary API refused or failed an operation."""


@deconstructible
class PrivateCloudinaryStorage(Storage):
    def __init__(self, expire_seconds=300):
        self.expire_seconds = int(expire_seconds)

    # --- writing ------------------------------------------------------------------------------
    def get_available_name(self, name, max_length=None):
        # Keys are uuid4-based (private_upload_to) and Cloudinary refuses to overwrite, so asking
        # the Admin API whether the name exists (rate-limited, one HTTP call) buys nothing.
        name = name.replace("\\", "/")
        if max_length is not None and len(name) > max_length:
            raise CloudinaryStorageError(f"Storage key longer than {max_length} characters: {name}")
        return name

    def _save(self, name, content):
        import cloudinary.uploader

        if hasattr(content, "seek"):
            content.seek(0)
        result = cloudinary.uploader.upload(
            content,
            public_id=name,
            resource_type=RESOURCE_TYPE,
            type=DELIVERY_TYPE,
            overwrite=False,
            unique_filename=False,
            use_filename=False,
        )
        if not isinstance(result, dict) or not result.get("public_id"):
            raise CloudinaryStorageError(f"Unexpected answer from Cloudinary for {name}: {result!r}")
        if result.get("existing"):
            raise CloudinaryStorageError(f"Key already used on Cloudinary, refusing to share it: {name}")
        if result.get("type") not in (None, DELIVERY_TYPE):
            raise CloudinaryStorageError(f"Cloudinary stored {name} as {result.get('type')!r}, not authenticated")
        return result["public_id"]

    def delete(self, name):
        import cloudinary.uploader

        if not name:
            return
        result = cloudinary.uploader.destroy(name, resource_type=RESOURCE_TYPE, type=DELIVERY_TYPE, invalidate=True)
        if (result or {}).get("result") not in ("ok", "not found"):
            raise CloudinaryStorageError(f"Cloudinary could not delete {name}: {result!r}")

    # --- reading ------------------------------------------------------------------------------
    def url(self, name):
        """A signed download URL of the private file, valid for `expire_seconds` (attachment)."""
        import cloudinary.utils

        options = {
            "resource_type": RESOURCE_TYPE,
            "type": DELIVERY_TYPE,
            "expires_at": int(time.time()) + self.expire_seconds,
            "attachment": True,
        }
        return cloudinary.utils.private_download_url(name, "", **options)

    def _resource(self, name):
        import cloudinary.api

        return cloudinary.api.resource(name, resource_type=RESOURCE_TYPE, type=DELIVERY_TYPE)

    def exists(self, name):
        import cloudinary.exceptions

        try:
            self._resource(name)
        except cloudinary.exceptions.NotFound:
            return False
        return True

    def listdir(self, path):
        """Files directly under `path` (Admin API, paged); Cloudinary has no folders of its own here."""
        import cloudinary.api

        prefix = path.strip("/") + "/" if path.strip("/") else ""
        files, cursor = [], None
        while True:
            options = {"resource_type": RESOURCE_TYPE, "type": DELIVERY_TYPE, "prefix": prefix, "max_results": 500}
            if cursor:
                options["next_cursor"] = cursor
            result = cloudinary.api.resources(**options)
            for resource in result.get("resources", []):
                rest = resource["public_id"][len(prefix) :]
                if rest and "/" not in rest:
                    files.append(rest)
            cursor = result.get("next_cursor")
            if not cursor:
                return [], files

    def size(self, name):
        return int(self._resource(name)["bytes"])

    def _open(self, name, mode="rb"):
        if "w" in mode:
            raise CloudinaryStorageError("Cloudinary files are written with save(), not opened for writing")
        with urllib.request.urlopen(self.url(name), timeout=30) as response:  # noqa: S310 (https URL we signed)
            data = response.read()
        f = ContentFile(data, name=name)
        f.mode = mode
        return f
