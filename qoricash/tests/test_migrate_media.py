"""migrate_media: every private file copied to S3 (moto), verified, resumable, exactly once."""

import hashlib
import io
import os
import urllib.parse
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from qoricash.models import MediaCopy
from qoricash.recovery.usage import private_file_models
from tests.storage_helpers import PNG, client_document, deposit, payout

os.environ.setdefault("CLOUDINARY_URL", "cloudinary://123:abc@demo")

pytestmark = pytest.mark.django_db


def run(**options):
    out = io.StringIO()
    call_command("migrate_media", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def files():
    """Every stored private file (the vouchers' clients bring their own activation documents)."""
    owner = UserFactory()
    client_document(owner, data=PNG, name="dni.png")
    deposit(owner)
    payout(owner)
    rows = [
        model.objects.get(pk=pk) for model in private_file_models() for pk in model.objects.values_list("pk", flat=True)
    ]
    assert len(rows) >= 4 and {type(r).__name__ for r in rows} == {"ClientDocument", "Deposit", "Payout"}
    return rows


def s3_objects(s3_options):
    client, bucket = s3_options
    listing = client.list_objects_v2(Bucket=bucket)
    return {
        obj["Key"]: client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        for obj in listing.get("Contents", [])
    }


def test_local_to_s3_copies_and_verifies_every_file(files, s3_options):
    out = run(to="s3")
    stored = s3_objects(s3_options)
    assert set(stored) == {f.file.name for f in files}
    for f in files:
        assert hashlib.sha256(stored[f.file.name]).hexdigest() == f.sha256 and len(stored[f.file.name]) == f.size
    assert MediaCopy.objects.filter(target="s3").count() == len(files)
    assert f"{len(files)}/{len(files)}" in out and "STORAGE_BACKEND=s3" in out


def test_dry_run_changes_nothing(files, s3_options):
    out = run(to="s3", dry_run=True)
    assert s3_objects(s3_options) == {} and not MediaCopy.objects.exists()
    assert files[0].file.name in out


def test_interrupted_run_resumes_and_copies_each_file_exactly_once(files, s3_options):
    from storages.backends.s3 import S3Storage

    real_save = S3Storage._save
    saves = []

    def crashing_save(self, name, content):
        if len(saves) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the machine going away
        saves.append(name)
        return real_save(self, name, content)

    with mock.patch.object(S3Storage, "_save", crashing_save), pytest.raises(KeyboardInterrupt):
        run(to="s3")
    assert MediaCopy.objects.count() == 2

    with mock.patch.object(
        S3Storage, "_save", lambda self, name, content: saves.append(name) or real_save(self, name, content)
    ):
        out = run(to="s3")
    assert sorted(saves) == sorted(f.file.name for f in files)  # each exactly once over both runs
    assert out.splitlines()[0].startswith("2 ")  # the two copied before the interruption, skipped
    assert MediaCopy.objects.count() == len(files) and len(s3_objects(s3_options)) == len(files)


def test_limit_copies_that_many_and_says_what_remains(files, s3_options):
    out = run(to="s3", limit=3)
    assert MediaCopy.objects.count() == 3
    assert out.splitlines()[-1].startswith(f"{len(files) - 3} ")
    run(to="s3")
    assert MediaCopy.objects.count() == len(files)


def test_a_source_file_that_does_not_match_its_record_is_not_copied(files, s3_options):
    doc = files[0]
    type(doc).objects.filter(pk=doc.pk).update(sha256="0" * 64)
    with pytest.raises(CommandError):
        run(to="s3")
    assert doc.file.name not in s3_objects(s3_options)
    assert MediaCopy.objects.count() == len(files) - 1


def test_cloudinary_to_s3(settings, s3_options):
    """Cloudinary as the source, its SDK patched at the network edge (upload and the signed download)."""
    settings.STORAGE_BACKEND = "cloudinary"
    settings.STORAGES = {**settings.STORAGES, "default": settings.PRIVATE_STORAGES["cloudinary"]}
    cloud = {}

    def fake_upload(file, **options):
        file.seek(0)
        cloud[options["public_id"]] = file.read()
        return {"public_id": options["public_id"], "type": options["type"]}

    def fake_urlopen(url, timeout=None):
        public_id = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["public_id"][0]
        return io.BytesIO(cloud[public_id])

    with (
        mock.patch("cloudinary.uploader.upload", side_effect=fake_upload),
        mock.patch("urllib.request.urlopen", side_effect=fake_urlopen),
    ):
        owner = UserFactory()
        client_document(owner)
        deposit(owner)
        docs = [m.objects.get(pk=pk) for m in private_file_models() for pk in m.objects.values_list("pk", flat=True)]
        assert set(cloud) == {d.file.name for d in docs}
        run(to="s3")
    stored = s3_objects(s3_options)
    assert {k: hashlib.sha256(v).hexdigest() for k, v in stored.items()} == {d.file.name: d.sha256 for d in docs}


def test_same_source_and_target_is_refused(settings):
    with pytest.raises(CommandError, match="local"):
        run(to="local")
