"""Local storage (development default) and the one download view, for real on disk."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from accounts.audit_actions import AccountAction
from accounts.models import AuditEntry
from qoricash import downloads
from qoricash.files import STORAGE_ERROR_MESSAGE, PrivateFileFormMixin, store_private_files
from tests.storage_helpers import MAKERS, PDF, PNG, client_document, sha, upload


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_every_private_file_kind_gets_a_random_key_size_and_sha256(kind, trader, settings):
    obj = MAKERS[kind](trader)
    data = PDF if kind != "deposit" else PNG
    obj.refresh_from_db()
    assert obj.size == len(data)
    assert obj.sha256 == sha(data)
    assert obj.content_type in {"application/pdf", "image/png"}
    assert obj.original_name in {"dni frente.pdf", "voucher.png", "constancia.pdf", "boleta de pago.pdf"}
    folder, key = obj.file.name.rsplit("/", 1)
    assert folder == obj.upload_folder
    assert len(key.split(".")[0]) == 32  # uuid4 hex: nothing of the client in the key
    path = os.path.join(settings.MEDIA_ROOT, obj.file.name)
    with open(path, "rb") as fh:
        assert sha(fh.read()) == obj.sha256


@pytest.mark.django_db
def test_downloadable_kinds_are_discovered_without_imports_from_higher_apps():
    assert set(downloads.registry()) >= {"clientdocument", "deposit", "payout"}


@pytest.mark.django_db
def test_master_download_streams_the_file_and_is_audited(master_client, master, trader):
    doc = client_document(trader)
    url = downloads.private_file_url(doc)
    assert url == f"/admin/files/clientdocument/{doc.pk}/"
    response = master_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "dni" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action=AccountAction.FILE_DOWNLOADED)
    assert entry.actor == master
    assert entry.object_type == "clients.clientdocument" and entry.object_id == str(doc.pk)


@pytest.mark.django_db
def test_trader_gets_own_file_but_404_for_another_traders_client(trader_client, trader, other_trader):
    mine = client_document(trader)
    theirs = client_document(other_trader)
    assert trader_client.get(downloads.private_file_url(mine)).status_code == 200
    assert trader_client.get(downloads.private_file_url(theirs)).status_code == 404
    assert trader_client.get("/admin/files/clientdocument/999999/").status_code == 404
    assert trader_client.get("/admin/files/unknown-kind/1/").status_code == 404
    # Only the successful download is in the audit.
    assert AuditEntry.objects.filter(action=AccountAction.FILE_DOWNLOADED).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["deposit", "payout"])
def test_vouchers_follow_the_operation_portfolio(kind, client, trader, other_trader, operador):
    obj = MAKERS[kind](other_trader)
    url = downloads.private_file_url(obj)
    client.force_login(trader)
    assert client.get(url).status_code == 404
    client.force_login(operador)  # view_all_operations
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_without_the_view_permission_the_answer_is_403(client, trader):
    from accounts.tests.factories import UserFactory

    doc = client_document(trader)
    nobody = UserFactory(username="staff_without_role")  # staff, no group
    client.force_login(nobody)
    assert client.get(downloads.private_file_url(doc)).status_code == 403


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(client, trader):
    doc = client_document(trader)
    response = client.get(downloads.private_file_url(doc))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_media_url_is_not_served(client, master_client, trader, settings):
    doc = client_document(trader)
    assert master_client.get(settings.MEDIA_URL + doc.file.name).status_code == 404


@pytest.mark.django_db
def test_template_tag_and_link_never_expose_the_storage_url(trader):
    doc = client_document(trader)
    html = Template("{% load private_files %}{% private_file_url doc %}|{% private_file_link doc %}").render(
        Context({"doc": doc})
    )
    assert f"/admin/files/clientdocument/{doc.pk}/" in html
    assert doc.file.name not in html
    assert downloads.private_file_url(None) == ""


# --- storage failures --------------------------------------------------------------------------
class Boom(Exception):
    pass


@pytest.fixture
def broken_storage(monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def fail(self, name, content):
        raise Boom("storage down")

    monkeypatch.setattr(FileSystemStorage, "_save", fail)


@pytest.mark.django_db
def test_storage_failure_gives_a_spanish_message_and_leaves_no_row(trader, broken_storage):
    from clients.models import ClientDocument

    with pytest.raises(ValidationError) as exc:
        client_document(trader)
    message = exc.value.message_dict["file"][0]
    assert message == str(STORAGE_ERROR_MESSAGE)
    assert "No se pudo guardar el archivo" in message
    assert ClientDocument.objects.count() == 0


@pytest.mark.django_db
def test_form_mixin_turns_a_storage_failure_into_a_form_error(trader, broken_storage):
    from django import forms

    from clients.models import ClientDocument
    from clients.tests.factories import ClientFactory

    class DocumentForm(PrivateFileFormMixin, forms.ModelForm):
        class Meta:
            model = ClientDocument
            fields = ("client", "kind", "file")

    client = ClientFactory(owner=trader)
    form = DocumentForm(data={"client": client.pk, "kind": "id_front"}, files={"file": upload()})
    form.instance.uploaded_by = trader
    assert not form.is_valid()
    assert "No se pudo guardar el archivo" in form.errors["file"][0]
    assert ClientDocument.objects.count() == 0


@pytest.mark.django_db
def test_store_private_files_uploads_before_the_row_exists(trader):
    from clients.models import ClientDocument
    from clients.tests.factories import ClientFactory

    doc = ClientDocument(client=ClientFactory(owner=trader), kind="other", uploaded_by=trader, file=upload())
    store_private_files(doc)
    assert doc.pk is None and doc.file._committed and doc.sha256 == sha(PDF)
    doc.save()  # no second upload
    assert doc.file.name.startswith("client-documents/")


@pytest.mark.django_db
def test_a_file_missing_on_disk_is_404_and_not_audited_as_a_download(master_client, trader, settings):
    doc = client_document(trader)
    os.remove(os.path.join(settings.MEDIA_ROOT, doc.file.name))
    assert master_client.get(downloads.private_file_url(doc)).status_code == 404
    assert not AuditEntry.objects.filter(action=AccountAction.FILE_DOWNLOADED).exists()


@pytest.mark.django_db
def test_a_pdf_uploaded_as_html_is_kept_and_downloaded_as_pdf(master_client, trader):
    doc = client_document(trader, PDF, name="x.html")
    doc.refresh_from_db()
    assert doc.original_name == "x.pdf" and doc.content_type == "application/pdf"
    assert doc.file.name.endswith(".pdf")  # the storage key too
    response = master_client.get(downloads.private_file_url(doc))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="x.pdf"'
    assert response["Content-Type"] == "application/pdf"
    b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_row_stored_under_the_wrong_extension_downloads_under_the_detected_one(master_client, trader):
    doc = client_document(trader, PNG, name="foto.png")
    type(doc).objects.filter(pk=doc.pk).update(original_name="recibo.final.html")
    response = master_client.get(downloads.private_file_url(doc))
    assert response["Content-Disposition"] == 'attachment; filename="recibo.final.png"'
    assert response["Content-Type"] == "image/png"
    b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("x.html", "application/pdf", "x.pdf"),
        ("x", "application/pdf", "x.pdf"),
        ("Foto.JPEG", "image/jpeg", "Foto.JPEG"),
        ("foto.png", "image/jpeg", "foto.jpg"),
        ("QoriCash_Historial.xlsx", "application/octet-stream", "QoriCash_Historial.xlsx"),
        ("a" * 300 + ".html", "application/pdf", "a" * 251 + ".pdf"),
    ],
)
def test_name_for_type(name, content_type, expected):
    from qoricash.files import name_for_type

    assert name_for_type(name, content_type) == expected


@pytest.mark.django_db
def test_an_email_attachment_takes_the_detected_extension(trader):
    from qoricash.outbox.queue import attachment_of

    doc = client_document(trader, PDF, name="x.pdf")
    type(doc).objects.filter(pk=doc.pk).update(original_name="x.html")
    doc.refresh_from_db()
    assert attachment_of(doc).filename == "x.pdf" and attachment_of(doc).content_type == "application/pdf"
