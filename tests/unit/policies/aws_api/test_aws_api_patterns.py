"""AWS's Java patterns read as Java reads them, matched against the whole value."""

import botocore.loaders
import pytest

from modelyard.policies.aws_api.java_patterns import (
    UnsupportedPattern,
    compile_java,
    matches_whole,
    translate,
)


def test_the_whole_value_must_match_not_a_part_of_it():
    # IAM's RoleName pattern: a name with a space contains matching runs but is rejected (aws/aws-cli#790).
    assert matches_whole(r"[\w+=,.@-]+", "training-role")
    assert not matches_whole(r"[\w+=,.@-]+", "training role")


def test_mlflow_window_needs_a_title_case_day():
    pattern = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):([0-5]\d)"
    assert matches_whole(pattern, "Sun:03:00")
    assert not matches_whole(pattern, "SUN:03:00")


def test_escaped_surrogate_pairs_are_one_supplementary_code_point():
    pattern = r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*"
    assert matches_whole(pattern, "endpoint/x/variant/\U0001f600")
    assert not matches_whole(pattern, "bell\x07")


def test_posix_classes_and_shorthands_are_ascii_as_in_java():
    assert matches_whole(r"\p{Print}+", "plain text ~")
    assert not matches_whole(r"\p{Print}+", "café")
    assert not matches_whole(r"\w+", "café")
    assert matches_whole(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", "café 42")  # Unicode categories stay Unicode
    assert not matches_whole(r"[^\P{Alpha}]+", "é")


def test_an_escaped_backslash_is_not_the_start_of_an_escape():
    assert translate(r"\\w") == r"\\w"
    assert matches_whole(r"a\\w", "a\\w")


def test_java_code_point_escape():
    assert matches_whole(r"[\x{60}a]+", "`a`")


def test_a_pattern_even_the_translation_cannot_read_is_unsupported_not_failed():
    with pytest.raises(UnsupportedPattern, match=r"\\p\{LD\}"):
        compile_java(r"^(\p{LD}|\p{Punct}| )+$")


@pytest.mark.parametrize(
    "service",
    [
        "application-autoscaling",
        "budgets",
        "cloudwatch",
        "ec2",
        "ecr",
        "eks",
        "events",
        "iam",
        "kms",
        "lambda",
        "logs",
        "s3",
        "sagemaker",
        "scheduler",
        "sns",
    ],
)
def test_every_pattern_of_the_services_the_stacks_use_compiles(service):
    model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    patterns = {shape["pattern"] for shape in model["shapes"].values() if "pattern" in shape}
    for pattern in patterns:
        compile_java(pattern)
