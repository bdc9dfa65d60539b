"""S3 on moto's server (real HTTP on loopback) for the backup and media-migration tests."""

import copy
import uuid

import pytest


@pytest.fixture(scope="module")
def s3_server():
    boto3 = pytest.importorskip("boto3")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
    )
    yield endpoint, client
    server.stop()


@pytest.fixture
def s3_options(settings, s3_server):
    """A fresh bucket; PRIVATE_STORAGES["s3"] points at it. Returns (boto3 client, bucket)."""
    endpoint, client = s3_server
    bucket = f"qc-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    storages = copy.deepcopy(settings.PRIVATE_STORAGES)
    storages["s3"]["OPTIONS"].update(
        bucket_name=bucket, endpoint_url=endpoint, access_key="t", secret_key="t", addressing_style="path"
    )
    settings.PRIVATE_STORAGES = storages
    return client, bucket


@pytest.fixture
def s3_default(settings, s3_options):
    """S3 (moto) as the private storage itself."""
    settings.STORAGES = {**settings.STORAGES, "default": settings.PRIVATE_STORAGES["s3"]}
    return s3_options
