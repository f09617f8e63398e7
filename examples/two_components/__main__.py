"""A fresh Pulumi program reusing two Modelyard components: a customer-managed key and the artifact store."""

import pulumi
import pulumi_aws as aws

from modelyard.components import ArtifactStore, ArtifactStoreArgs, EncryptionKey, EncryptionKeyArgs

config = pulumi.Config()
stack = pulumi.get_stack()
tags = {
    "project": pulumi.get_project(),
    "environment": stack,
    "owner": config.require("owner"),
    "cost-center": config.require("costCenter"),
}

key = EncryptionKey("fraud-data", EncryptionKeyArgs(alias=f"fraud-{stack}-data", tags=tags))
store = ArtifactStore(
    f"fraud-{stack}",
    ArtifactStoreArgs(
        key_arn=key.key_arn, tags=tags, retain_on_delete=config.get_bool("keepBuckets") or False
    ),
)

# The team's own training role, reading datasets and writing models through the grant helpers.
trainer = aws.iam.Role(
    "fraud-trainer",
    assume_role_policy=pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": aws.get_caller_identity_output().account_id}
                    },
                }
            ],
        }
    ),
    tags=tags,
)
store.grant_read(trainer, "datasets", "fraud/")
store.grant_read_write(trainer, "artifacts", "fraud/")

pulumi.export("key_arn", key.key_arn)
pulumi.export("datasets_bucket", store.datasets_bucket_name)
pulumi.export("artifacts_bucket", store.artifacts_bucket_name)
pulumi.export("trainer_role_arn", trainer.arn)
