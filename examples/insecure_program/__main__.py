"""Deliberately insecure raw pulumi_aws resources: `modelyard plan --program` must report each and exit 1."""

import json

import pulumi_aws as aws

# A public, unencrypted bucket.
bucket = aws.s3.Bucket("public-data")
aws.s3.BucketPublicAccessBlock(
    "public-data-pab",
    bucket=bucket.id,
    block_public_acls=False,
    block_public_policy=False,
    ignore_public_acls=False,
    restrict_public_buckets=False,
)
aws.s3.BucketPolicy(
    "public-data-policy",
    bucket=bucket.id,
    policy=bucket.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}
                ],
            }
        )
    ),
)

# An administrator policy: every action on every resource.
role = aws.iam.Role(
    "admin",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)
aws.iam.RolePolicy(
    "admin-everything",
    role=role.name,
    policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ),
)

# An EKS cluster whose API endpoint is open to the world, without secrets encryption.
aws.eks.Cluster(
    "open-cluster",
    role_arn=role.arn,
    vpc_config=aws.eks.ClusterVpcConfigArgs(
        subnet_ids=["subnet-0a", "subnet-0b"],
        endpoint_public_access=True,
        endpoint_private_access=False,
        public_access_cidrs=["0.0.0.0/0"],
    ),
)

# A SageMaker endpoint config on an EBS-backed instance type with no KMS key for its volume.
model = aws.sagemaker.Model(
    "model",
    execution_role_arn=role.arn,
    primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
        image="123456789012.dkr.ecr.us-east-1.amazonaws.com/serving:1"
    ),
)
aws.sagemaker.EndpointConfiguration(
    "unencrypted",
    production_variants=[
        aws.sagemaker.EndpointConfigurationProductionVariantArgs(
            model_name=model.name,
            variant_name="primary",
            instance_type="ml.m5.large",
            initial_instance_count=1,
        )
    ],
)
