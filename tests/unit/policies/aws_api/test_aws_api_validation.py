"""The walk over recorded inputs: what is checked, what is skipped as unknown, how violations read."""

from modelyard.policies.aws_api import as_policy_violations, validate_api_inputs


def _record(token, inputs, name="it"):
    return {
        "urn": f"urn:pulumi:dev::p::{token}::{name}",
        "type": token,
        "name": name,
        "custom": True,
        "inputs": inputs,
    }


def _endpoint_config(instance_type, count=1.0):
    return _record(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        {
            "productionVariants": [
                {
                    "variantName": "primary",
                    "modelName": "m",
                    "instanceType": instance_type,
                    "initialInstanceCount": count,
                }
            ],
        },
    )


def test_a_bad_instance_type_names_field_member_and_close_values():
    [violation] = validate_api_inputs([_endpoint_config("ml.g5.xlarg")])["violations"]
    assert violation["field"] == "productionVariants[0].instanceType"
    assert violation["member"] == "ProductionVariants[].InstanceType"
    assert violation["constraint"] == "enum"
    assert "did you mean 'ml.g5.xlarge'" in violation["message"]


def test_an_enum_in_the_wrong_case_suggests_the_right_one():
    [violation] = validate_api_inputs([_record("aws:ec2/eip:Eip", {"domain": "VPC"})])["violations"]
    assert "did you mean 'vpc'" in violation["message"] and "botocore" in violation["message"]


def test_an_integer_member_refuses_a_fraction():
    [violation] = validate_api_inputs([_endpoint_config("ml.g5.xlarge", count=1.5)])["violations"]
    assert (violation["member"], violation["constraint"]) == (
        "ProductionVariants[].InitialInstanceCount",
        "integer",
    )


def test_unknown_and_secret_values_are_skipped_not_failed():
    report = validate_api_inputs([_endpoint_config("<unknown>"), _endpoint_config("[secret]")])
    assert report["violations"] == []
    assert report["values_unknown"] == 2


def test_a_list_longer_than_the_api_allows():
    token = "aws:iam/role:Role"
    assert (
        validate_api_inputs([_record(token, {"tags": {f"k{i}": "v" for i in range(50)}})])["violations"] == []
    )
    # CreateRole takes at most 50 tags
    [violation] = validate_api_inputs([_record(token, {"tags": {f"k{i}": "v" for i in range(51)}})])[
        "violations"
    ]
    assert (violation["member"], violation["constraint"]) == ("Tags", "max")


def test_tag_maps_are_checked_as_the_apis_key_value_pairs():
    token = "aws:kms/key:Key"
    [violation] = validate_api_inputs([_record(token, {"tags": {"owner": "x" * 300}})])["violations"]
    assert (violation["field"], violation["member"]) == ("tags.owner", "Tags[].TagValue")


def test_dimension_maps_are_checked_as_name_value_pairs():
    token = "aws:cloudwatch/metricAlarm:MetricAlarm"
    [violation] = validate_api_inputs([_record(token, {"dimensions": {"EndpointName": ""}})])["violations"]
    assert (violation["field"], violation["member"], violation["constraint"]) == (
        "dimensions.EndpointName",
        "Dimensions[].Value",
        "min",
    )


def test_coverage_lists_unmapped_types_and_unmatched_inputs():
    report = validate_api_inputs(
        [
            _record("aws:s3/nothingLikeThis:NothingLikeThis", {"a": 1}),
            _record("aws:s3/bucket:Bucket", {"forceDestroy": True}),
            _record("kubernetes:core/v1:Namespace", {"metadata": {"name": "x"}}),
        ]
    )
    assert report["unmapped_types"] == {"aws:s3/nothingLikeThis:NothingLikeThis": 1}
    assert report["types"]["aws:s3/bucket:Bucket"]["unmatched"] == ["forceDestroy"]
    assert "kubernetes:core/v1:Namespace" not in report["types"]


def test_violations_become_mandatory_policy_rows():
    report = validate_api_inputs([_endpoint_config("ml.nope")])
    [row] = as_policy_violations(report)
    assert row["rule_id"] == "aws-api-constraints" and row["enforcement"] == "mandatory"
    assert row["message"].startswith(
        "productionVariants[0].instanceType = 'ml.nope': sagemaker CreateEndpointConfig"
    )
