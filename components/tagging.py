"""The cost-allocation tags every Modelyard resource carries, and their checks."""

from __future__ import annotations

# Keys the required-tags policy rule looks for; config's StackConfig.tags provides all four.
REQUIRED_TAG_KEYS = ("project", "environment", "owner", "cost-center")


def tag_problems(tags: dict[str, str], field: str = "tags") -> list[str]:
    """Problems with a tags argument: a missing required key or an empty value, each naming its path."""
    problems = [f"{field}: missing required tag {key!r}" for key in REQUIRED_TAG_KEYS if key not in tags]
    problems += [f"{field}.{key}: tag value must not be empty" for key, value in tags.items() if not value]
    return problems


def named_tags(tags: dict[str, str], name: str) -> dict[str, str]:
    """`tags` plus a Name tag, which the EC2 and VPC consoles show as the resource's label."""
    return {**tags, "Name": name}
