"""ArtifactStore: locked-down buckets by default, retention flags, prefix-scoped grant helpers."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from modelyard.components import ArtifactStore, ArtifactStoreArgs, ComponentArgsError

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ROLES = ("datasets", "artifacts", "capture", "access-logs")


def _store(tags, **overrides) -> ArtifactStore:
    return ArtifactStore("store", ArtifactStoreArgs(key_arn=KEY_ARN, tags=tags, **overrides))


def _per_bucket(run, token: str) -> dict[str, dict]:
    """Inputs of one resource type per bucket role, keyed by the role named in the logical name."""
    found = {}
    for resource in run.of_type(token):
        role = next(role for role in ROLES if resource.name.startswith(f"store-{role}-"))
        found[role] = resource.inputs
    assert set(found) == set(ROLES), f"{token}: {sorted(found)}"
    return found


def test_four_buckets_under_the_component_with_tags(program, tags):
    def build():
        store = _store(tags)
        pulumi.export(
            "names",
            [
                store.datasets_bucket_name,
                store.artifacts_bucket_name,
                store.capture_bucket_name,
                store.access_logs_bucket_name,
            ],
        )

    run = program(build)
    assert run.error is None
    component = run.one("modelyard:storage:ArtifactStore")
    buckets = run.of_type("aws:s3/bucket:Bucket")
    assert sorted(bucket.name for bucket in buckets) == sorted(f"store-{role}" for role in ROLES)
    assert all(resource.parent == component.urn for resource in run.resources if resource is not component)
    assert all(bucket.inputs["tags"] == tags and bucket.inputs["forceDestroy"] is False for bucket in buckets)
    assert [name.rsplit("-", 1)[0] for name in run.outputs["names"]] == [f"store-{role}" for role in ROLES]


def test_every_bucket_blocks_public_access_and_acls_and_is_versioned(program, tags):
    run = program(lambda: _store(tags))

    for inputs in _per_bucket(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").values():
        assert [
            inputs[flag]
            for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        ] == [True] * 4
    for inputs in _per_bucket(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").values():
        assert inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    for inputs in _per_bucket(run, "aws:s3/bucketVersioning:BucketVersioning").values():
        assert inputs["versioningConfiguration"]["status"] == "Enabled"


def test_every_bucket_publishes_its_object_events_to_eventbridge(program, tags):
    run = program(lambda: _store(tags))

    for inputs in _per_bucket(run, "aws:s3/bucketNotification:BucketNotification").values():
        assert inputs["eventbridge"] is True


def test_data_buckets_use_the_cmk_with_a_bucket_key_and_logs_use_sse_s3(program, tags):
    run = program(lambda: _store(tags))

    encryption = _per_bucket(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    for role in ("datasets", "artifacts", "capture"):
        (rule,) = encryption[role]["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": KEY_ARN,
        }
        assert rule["bucketKeyEnabled"] is True
    (logs_rule,) = encryption["access-logs"]["rules"]
    assert logs_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_policies_deny_plain_http_and_admit_only_our_log_delivery(program, tags):
    run = program(lambda: _store(tags))

    for resource in run.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        statements = run.statements(resource)
        deny = next(s for s in statements if s["Sid"] == "DenyInsecureTransport")
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        allows = [s for s in statements if s["Effect"] == "Allow"]
        assert all(s["Principal"] != "*" for s in allows)
        if resource.name == "store-access-logs-policy":
            (delivery,) = allows
            assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
            assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
            assert len(delivery["Condition"]["ArnLike"]["aws:SourceArn"]) == 3
        else:
            assert allows == []


def test_data_buckets_log_to_the_access_logs_bucket(program, tags):
    run = program(lambda: _store(tags))

    logs_bucket = run.one("aws:s3/bucket:Bucket", "store-access-logs").id
    logging = run.of_type("aws:s3/bucketLogging:BucketLogging")
    assert sorted(resource.name for resource in logging) == [
        "store-artifacts-logging",
        "store-capture-logging",
        "store-datasets-logging",
    ]
    for resource in logging:
        assert resource.inputs["targetBucket"] == logs_bucket
        assert (
            resource.inputs["targetPrefix"]
            == resource.name.removeprefix("store-").removesuffix("-logging") + "/"
        )
        assert (
            run.one("aws:s3/bucketPolicy:BucketPolicy", "store-access-logs-policy").urn
            in resource.dependencies
        )


def test_lifecycle_rules(program, tags):
    run = program(lambda: _store(tags, noncurrent_version_days=7, capture_transition_days=45))

    lifecycle = _per_bucket(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    for role, inputs in lifecycle.items():
        rules = {rule["id"]: rule for rule in inputs["rules"]}
        assert all(rule["status"] == "Enabled" for rule in rules.values())
        assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"] == {
            "daysAfterInitiation": 7
        }
        assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 7}
        assert ("capture-to-infrequent-access" in rules) == (role == "capture")
        assert ("expire-access-logs" in rules) == (role == "access-logs")
    capture_rule = next(r for r in lifecycle["capture"]["rules"] if r["id"] == "capture-to-infrequent-access")
    assert capture_rule["transitions"] == [{"days": 45, "storageClass": "STANDARD_IA"}]


def test_buckets_are_deletable_by_default_and_retained_or_protected_by_flag(program, tags):
    default = program(lambda: _store(tags))
    kept = program(lambda: _store(tags, retain_on_delete=True, deletion_protection=True))

    assert not any(r.retain_on_delete or r.protect for r in default.resources)
    bucket_resources = [r for r in kept.resources if r.type.startswith("aws:s3/")]
    assert len(bucket_resources) == 4 * 8 + 3
    assert all(r.retain_on_delete and r.protect for r in bucket_resources)


def test_protect_given_to_the_component_reaches_every_bucket_setting(program, tags):
    run = program(
        lambda: ArtifactStore(
            "store", ArtifactStoreArgs(key_arn=KEY_ARN, tags=tags), pulumi.ResourceOptions(protect=True)
        )
    )

    assert all(resource.protect for resource in run.resources)


def test_grant_read_is_scoped_to_the_prefix(program, tags):
    def build():
        role = aws.iam.Role("trainer", assume_role_policy="{}")
        _store(tags).grant_read(role, "datasets", "datasets/v1/")

    run = program(build)
    bucket = run.one("aws:s3/bucket:Bucket", "store-datasets").id
    grant = run.one("aws:iam/rolePolicy:RolePolicy")
    assert grant.name == "store-datasets-read-trainer-datasets-v1"
    assert grant.parent == run.one("modelyard:storage:ArtifactStore").urn
    by_sid = {statement["Sid"]: statement for statement in run.statements(grant)}
    assert by_sid["List"] == {
        "Sid": "List",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}"],
        "Condition": {"StringLike": {"s3:prefix": ["datasets/v1/*"]}},
    }
    assert by_sid["Objects"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert by_sid["Objects"]["Resource"] == [f"arn:aws:s3:::{bucket}/datasets/v1/*"]
    assert by_sid["BucketKey"]["Action"] == ["kms:Decrypt"]
    assert by_sid["BucketKey"]["Resource"] == [KEY_ARN]
    assert by_sid["BucketKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }


def test_grant_write_cannot_read_and_read_write_can_do_both(program, tags):
    def build():
        role = aws.iam.Role("trainer", assume_role_policy="{}")
        store = _store(tags)
        store.grant_write(role, "artifacts")
        store.grant_read_write(role, "capture", "endpoint/")

    run = program(build)
    write = {s["Sid"]: s for s in run.statements(run.named("store-artifacts-write-trainer"))}
    assert set(write) == {"Objects", "BucketKey"}
    assert "s3:GetObject" not in write["Objects"]["Action"] and "s3:PutObject" in write["Objects"]["Action"]
    assert write["BucketKey"]["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    both = {s["Sid"]: s for s in run.statements(run.named("store-capture-read-write-trainer-endpoint"))}
    assert {"s3:GetObject", "s3:PutObject"} <= set(both["Objects"]["Action"])
    assert not any("Delete" in action for statement in both.values() for action in statement["Action"])


@pytest.mark.parametrize(
    ("bucket", "prefix", "path"),
    [("datasets", "/leading", "prefix:"), ("datasets", "data/*", "prefix:"), ("access-logs", "", "bucket:")],
)
def test_grant_rejects_wildcards_and_the_log_bucket(program, tags, bucket, prefix, path):
    def build():
        role = aws.iam.Role("trainer", assume_role_policy="{}")
        _store(tags).grant_read(role, bucket, prefix)

    run = program(build)
    assert isinstance(run.error, ComponentArgsError)
    assert path in str(run.error)
    assert run.of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_invalid_args_list_every_problem_before_any_resource(program):
    args = ArtifactStoreArgs(key_arn=KEY_ARN, tags={}, capture_transition_days=10, noncurrent_version_days=0)
    run = program(lambda: ArtifactStore("Store!", args))

    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for path in (
        "name: 'Store!'",
        "capture_transition_days: 10",
        "noncurrent_version_days: 0",
        "tags: missing required tag 'project'",
    ):
        assert path in message
    assert run.resources == []
