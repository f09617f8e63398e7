"""Writes the plan in the formats other tools read (Terraform-plan JSON, Kubernetes manifests); says what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from modelyard.planning.engine import Plan
from modelyard.planning.k8s_manifests import write_k8s_manifests
from modelyard.planning.terraform_plan import terraform_plan as terraform_plan_document


def write_exports(
    plan: Plan, *, terraform_plan: Path | None = None, k8s_manifests: Path | None = None
) -> list[str]:
    """Write the requested exports; one line per export saying how much of the plan it holds."""
    lines: list[str] = []
    if terraform_plan:
        export = terraform_plan_document(plan)
        terraform_plan.write_text(json.dumps(export.document, indent=2))
        lines.append(
            f"terraform-plan: {export.exported} of {export.aws_resources} AWS resources -> {terraform_plan}"
        )
    if k8s_manifests:
        manifests = write_k8s_manifests(plan, k8s_manifests)
        lines.append(
            f"k8s-manifests: {len(manifests.manifests)} manifests and {manifests.helm_releases} Helm releases "
            f"of {manifests.kubernetes_resources} Kubernetes resources -> {k8s_manifests}"
        )
    return lines
