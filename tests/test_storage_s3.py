"""S3 through django-storages against moto's S3 server on loopback (real HTTP, real signatures)."""

import os
import urllib.error
import urllib.parse
import urllib.request

import pytest

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from qoricash import downloads
from tests.storage_helpers import MAKERS, PDF, PNG, client_document, sha

BUCKET = "qoricash-private-test"


@pytest.fixture(scope="module")
def s3_endpoint():
    boto3 = pytest.importorskip("boto3")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)
    yield endpoint, s3
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    """STORAGES["default"] exactly as settings build it for STORAGE_BACKEND=s3 (see test below)."""
    endpoint, s3 = s3_endpoint
    settings.STORAGES = {**settings.STORAGES, "default": _settings_for_s3(endpoint)["default"]}
    return s3


def _settings_for_s3(endpoint):
    """Import qoricash.settings afresh with STORAGE_BACKEND=s3: the test uses the real block."""
    import importlib
    import sys

    env = {
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        sys.modules.pop("qoricash._settings_probe", None)
        spec = importlib.util.spec_from_file_location(
            "qoricash._settings_probe", importlib.util.find_spec("qoricash.settings").origin
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.STORAGES
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_settings_select_a_private_s3_storage(s3_endpoint):
    options = _settings_for_s3(s3_endpoint[0])["default"]["OPTIONS"]
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 300
    assert options["signature_version"] == "s3v4"
    assert options["file_overwrite"] is False


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


@pytest.mark.django_db
def test_id_document_on_s3_needs_a_signed_url_and_is_audited(s3_storage, master_client, master, trader):
    doc = client_document(trader)
    key = doc.file.name
    head = s3_storage.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == len(PDF) == doc.size
    assert doc.sha256 == sha(PDF)
    # Private: the plain object URL (no signature) is refused to an anonymous caller.
    endpoint = s3_storage.meta.endpoint_url
    status, _body, _h = _get(f"{endpoint}/{BUCKET}/{key}")
    assert status == 403
    acl = s3_storage.get_object_acl(Bucket=BUCKET, Key=key)
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith("AllUsers")]
    # The download view redirects to a presigned v4 URL that expires within minutes...
    response = master_client.get(downloads.private_file_url(doc))
    assert response.status_code == 302
    signed = response["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(signed).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert "attachment" in query["response-content-disposition"][0]
    assert response["Referrer-Policy"] == "no-referrer"
    # ...which works over HTTP and returns the exact bytes.
    status, body, headers = _get(signed)
    assert status == 200 and body == PDF
    # (moto does not verify presigned signatures, so tampering is not tested here; AWS does.)
    # The download is in the audit, with the Master as actor.
    entry = AuditEntry.objects.get(action=AccountAction.FILE_DOWNLOADED)
    assert entry.actor == master and entry.object_id == str(doc.pk)


@pytest.mark.django_db
def test_trader_gets_404_for_another_traders_file_on_s3(s3_storage, trader_client, other_trader):
    doc = client_document(other_trader)
    assert trader_client.get(downloads.private_file_url(doc)).status_code == 404
    assert not AuditEntry.objects.filter(action=AccountAction.FILE_DOWNLOADED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_every_kind_uploads_with_size_and_hash_and_deletes(kind, s3_storage, trader):
    obj = MAKERS[kind](trader)
    data = PNG if kind == "deposit" else PDF
    body = s3_storage.get_object(Bucket=BUCKET, Key=obj.file.name)["Body"].read()
    assert body == data and sha(body) == obj.sha256 and obj.size == len(data)
    obj.file.storage.delete(obj.file.name)
    with pytest.raises(s3_storage.exceptions.ClientError):
        s3_storage.head_object(Bucket=BUCKET, Key=obj.file.name)


@pytest.mark.django_db
def test_s3_outage_leaves_no_row(settings, trader):
    """An endpoint that does not answer: Spanish error, no row, no 500."""
    from django.core.exceptions import ValidationError

    from clients.models import ClientDocument

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": "http://127.0.0.1:9",  # discard port: connection refused
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "signature_version": "s3v4",
                "client_config": __import__("botocore.config").config.Config(
                    retries={"max_attempts": 1}, connect_timeout=1
                ),
            },
        },
    }
    with pytest.raises(ValidationError) as exc:
        client_document(trader)
    assert "No se pudo guardar el archivo" in exc.value.message_dict["file"][0]
    assert ClientDocument.objects.count() == 0


@pytest.mark.django_db
def test_the_signed_url_names_the_detected_type(s3_storage, master_client, trader):
    doc = client_document(trader, PDF, name="x.html")
    response = master_client.get(downloads.private_file_url(doc))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response["Location"]).query)
    assert query["response-content-disposition"] == ["attachment; filename*=UTF-8''x.pdf"]
    assert query["response-content-type"] == ["application/pdf"]
    status, body, headers = _get(response["Location"])
    assert status == 200 and body == PDF
    # The object's own type follows its key (x.pdf → .pdf); moto ignores the response-* overrides, AWS applies them.
    assert headers["Content-Type"] == "application/pdf"
