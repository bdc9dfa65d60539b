"""Cloudinary: our authenticated-delivery storage, with the SDK's upload/destroy patched.

The whole session gets dummy credentials (CLOUDINARY_URL=cloudinary://123:abc@demo); signed URLs
are built locally by the SDK, so their signature and expiry are checked here for real.
"""

import os
import time
import urllib.parse
from unittest import mock

import pytest

os.environ.setdefault("CLOUDINARY_URL", "cloudinary://123:abc@demo")

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry  # noqa: E402
from qoricash import downloads  # noqa: E402
from qoricash.storage import CloudinaryStorageError, PrivateCloudinaryStorage  # noqa: E402
from tests.storage_helpers import MAKERS, PDF, PNG, client_document, sha  # noqa: E402


@pytest.fixture(autouse=True)
def cloudinary_credentials():
    import cloudinary

    cloudinary.reset_config()  # re-read CLOUDINARY_URL in case the SDK was imported before
    assert cloudinary.config().cloud_name == "demo" and cloudinary.config().api_secret == "abc"


@pytest.fixture
def sdk(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "qoricash.storage.PrivateCloudinaryStorage", "OPTIONS": {"expire_seconds": 300}},
    }
    uploaded = {}

    def fake_upload(file, **options):
        file.seek(0)
        uploaded[options["public_id"]] = file.read()
        return {
            "public_id": options["public_id"],
            "resource_type": options["resource_type"],
            "type": options["type"],
            "bytes": len(uploaded[options["public_id"]]),
        }

    with (
        mock.patch("cloudinary.uploader.upload", side_effect=fake_upload) as upload,
        mock.patch("cloudinary.uploader.destroy", return_value={"result": "ok"}) as destroy,
    ):
        yield upload, destroy, uploaded


def test_settings_select_our_private_storage_for_cloudinary():
    import subprocess
    import sys

    code = "from qoricash import settings as s; print(s.STORAGES['default']['BACKEND'])"
    env = {**os.environ, "STORAGE_BACKEND": "cloudinary", "DJANGO_SETTINGS_MODULE": "qoricash.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "qoricash.storage.PrivateCloudinaryStorage"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_upload_is_authenticated_raw_with_the_random_key(kind, sdk, trader):
    upload, _destroy, uploaded = sdk
    obj = MAKERS[kind](trader)
    data = PNG if kind == "deposit" else PDF
    args, options = upload.call_args
    assert options["public_id"] == obj.file.name
    assert obj.file.name.startswith(obj.upload_folder + "/")
    assert options["type"] == "authenticated"  # never the public "upload" delivery type
    assert options["resource_type"] == "raw"
    assert options["overwrite"] is False
    assert uploaded[obj.file.name] == data
    assert obj.size == len(data) and obj.sha256 == sha(data)


def _verify_download_url(url, public_id, max_seconds=300):
    import cloudinary.utils

    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "api.cloudinary.com"
    assert parts.path == "/v1_1/demo/raw/download"
    params = dict(urllib.parse.parse_qsl(parts.query))
    assert params["public_id"] == public_id
    assert params["type"] == "authenticated"
    assert params["attachment"] in {"1", "True", "true"}
    assert params["api_key"] == "123"
    expires = int(params["expires_at"])
    assert time.time() < expires <= time.time() + max_seconds + 2
    signature = params.pop("signature")
    params.pop("api_key")
    assert cloudinary.utils.api_sign_request(params, "abc") == signature  # signed with our secret
    return params


@pytest.mark.django_db
def test_download_redirects_to_a_signed_expiring_url_and_is_audited(sdk, master_client, master, trader):
    doc = client_document(trader)
    response = master_client.get(downloads.private_file_url(doc))
    assert response.status_code == 302
    _verify_download_url(response["Location"], doc.file.name)
    assert AuditEntry.objects.get(action=AccountAction.FILE_DOWNLOADED).actor == master


@pytest.mark.django_db
def test_trader_gets_404_for_another_traders_file_on_cloudinary(sdk, trader_client, other_trader):
    doc = client_document(other_trader)
    assert trader_client.get(downloads.private_file_url(doc)).status_code == 404


def test_url_expiry_follows_the_setting():
    storage = PrivateCloudinaryStorage(expire_seconds=60)
    _verify_download_url(storage.url("client-documents/abc.pdf"), "client-documents/abc.pdf", max_seconds=60)


def test_delete_destroys_the_authenticated_resource(sdk):
    _upload, destroy, _ = sdk
    PrivateCloudinaryStorage().delete("client-documents/abc.pdf")
    destroy.assert_called_once_with(
        "client-documents/abc.pdf", resource_type="raw", type="authenticated", invalidate=True
    )


def test_delete_failure_is_an_error(sdk):
    _upload, destroy, _ = sdk
    destroy.return_value = {"result": "error"}
    with pytest.raises(CloudinaryStorageError):
        PrivateCloudinaryStorage().delete("client-documents/abc.pdf")


@pytest.mark.django_db
def test_key_collision_is_refused(sdk, trader):
    from django.core.exceptions import ValidationError

    from clients.models import ClientDocument

    upload, _destroy, _ = sdk
    upload.side_effect = lambda file, **o: {"public_id": o["public_id"], "type": "authenticated", "existing": True}
    with pytest.raises(ValidationError):
        client_document(trader)
    assert ClientDocument.objects.count() == 0


@pytest.mark.django_db
def test_cloudinary_failure_gives_spanish_message_and_no_row(sdk, trader):
    import cloudinary.exceptions
    from django.core.exceptions import ValidationError

    from clients.models import ClientDocument

    upload, _destroy, _ = sdk
    upload.side_effect = cloudinary.exceptions.Error("Server returned unexpected status code - 502")
    with pytest.raises(ValidationError) as exc:
        client_document(trader)
    assert "No se pudo guardar el archivo" in exc.value.message_dict["file"][0]
    assert ClientDocument.objects.count() == 0


def test_exists_and_size_use_the_admin_api():
    import cloudinary.exceptions

    storage = PrivateCloudinaryStorage()
    with mock.patch("cloudinary.api.resource", return_value={"bytes": 42}) as resource:
        assert storage.exists("a/b.pdf") is True
        assert storage.size("a/b.pdf") == 42
        resource.assert_called_with("a/b.pdf", resource_type="raw", type="authenticated")
    with mock.patch("cloudinary.api.resource", side_effect=cloudinary.exceptions.NotFound("no")):
        assert storage.exists("a/b.pdf") is False
