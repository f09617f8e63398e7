"""Reading and writing the pipelines' S3 objects by s3:// URI, encrypted with the stack's data key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from modelyard.catalog.errors import InputError
from modelyard.pipelines.aws_clients import AwsClients


class S3UriError(InputError, ValueError):
    """A string that is not an s3://bucket/key URI."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    """("bucket", "key") of "s3://bucket/key"."""
    if (
        not isinstance(uri, str)
        or not uri.startswith("s3://")
        or "/" not in uri[5:]
        or uri[5:].startswith("/")
    ):
        raise S3UriError(f"{uri!r} is not an s3://bucket/key URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def _encryption(kms_key_arn: str | None) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn} if kms_key_arn else {}


def put_bytes(
    clients: AwsClients,
    uri: str,
    body: bytes,
    kms_key_arn: str | None,
    content_type: str = "application/octet-stream",
) -> str:
    bucket, key = split_s3_uri(uri)
    clients.s3.put_object(
        Bucket=bucket, Key=key, Body=body, ContentType=content_type, **_encryption(kms_key_arn)
    )
    return uri


def put_json(clients: AwsClients, uri: str, document: Any, kms_key_arn: str | None) -> str:
    return put_bytes(
        clients, uri, json.dumps(document, indent=2, sort_keys=True).encode(), kms_key_arn, "application/json"
    )


def upload_file(clients: AwsClients, path: Path, uri: str, kms_key_arn: str | None) -> str:
    bucket, key = split_s3_uri(uri)
    clients.s3.upload_file(str(path), bucket, key, ExtraArgs=_encryption(kms_key_arn))
    return uri


def get_bytes(clients: AwsClients, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def get_json(clients: AwsClients, uri: str) -> Any:
    return json.loads(get_bytes(clients, uri))


def download_file(clients: AwsClients, uri: str, path: Path) -> Path:
    bucket, key = split_s3_uri(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    clients.s3.download_file(bucket, key, str(path))
    return path


def exists(clients: AwsClients, uri: str) -> bool:
    bucket, key = split_s3_uri(uri)
    try:
        clients.s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def list_keys(clients: AwsClients, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return sorted(keys)
