"""The documented Resource "*" exceptions and the taggable-type list, checked against their sources."""

from __future__ import annotations

import inspect
import keyword

import pulumi_aws
import pytest

from modelyard.policies.rules.tagging import TAGGABLE_TYPES
from modelyard.policies.wildcard_resource_exceptions import EXCEPTIONS, exception_for


def test_every_exception_says_why():
    assert all(len(exception.why) > 20 for exception in EXCEPTIONS)
    assert len({exception.action.lower() for exception in EXCEPTIONS}) == len(EXCEPTIONS)


@pytest.mark.parametrize(
    ("action", "covered"),
    [
        ("ecr:GetAuthorizationToken", True),
        ("ECR:getauthorizationtoken", True),
        ("ec2:DescribeSubnets", True),
        ("ec2:Describe*", True),
        ("ec2:*", False),
        ("ec2:RunInstances", False),
        ("sagemaker:ListModelPackages", True),
        ("sagemaker:CreateEndpoint", False),
        ("*", False),
    ],
)
def test_exception_coverage(action, covered):
    assert (exception_for(action) is not None) is covered


def test_put_metric_data_still_needs_its_namespace_condition():
    assert exception_for("cloudwatch:PutMetricData").required_condition_keys == ("cloudwatch:namespace",)


def _args_class(token: str):
    # Through the package attributes: importing pulumi_aws submodules directly breaks its lazy loading.
    _, module_path, kind = token.split(":")
    package = module_path.split("/")[0]
    # Python keywords get a trailing underscore (aws:lambda -> pulumi_aws.lambda_).
    module = getattr(pulumi_aws, f"{package}_" if keyword.iskeyword(package) else package)
    return getattr(module, f"{kind}Args", None) or getattr(module, f"{kind}InitArgs")


@pytest.mark.parametrize("token", sorted(TAGGABLE_TYPES))
def test_taggable_types_accept_tags_in_pulumi_aws(token):
    assert "tags" in inspect.signature(_args_class(token).__init__).parameters
