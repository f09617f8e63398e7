"""Which Cluster Autoscaler image runs on which Kubernetes minor: CA's minor must match the cluster's
(kubernetes/autoscaler cluster-autoscaler/README.md, "Releases": "We recommend using Cluster Autoscaler with the
Kubernetes control plane version for which it was meant")."""

from __future__ import annotations

CLUSTER_AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"

# Kubernetes minor -> (CA release, digest of its multi-arch image index). Pinned by digest, so a re-pushed tag
# cannot change what runs. Each digest is the one the image promotion into registry.k8s.io recorded: `gcrane
# digest gcr.io/k8s-staging-autoscaling/cluster-autoscaler:<release>` in kubernetes/k8s.io pull request #9760
# (merged 2026-07-22, "Add cluster-autoscaler releases: 1.33.6, 1.34.5, 1.35.2, 1.36.1"), which added them to
# registry.k8s.io/images/k8s-staging-autoscaling/images.yaml, the promoter manifest registry.k8s.io serves from.
CLUSTER_AUTOSCALER_RELEASES: dict[str, tuple[str, str]] = {
    "1.33": ("v1.33.6", "sha256:7b44e0f075b2c8f9952e339b6c396cd4d1c3831c24c0fe092a3e708c45e6ec51"),
    "1.34": ("v1.34.5", "sha256:5c3a56440ffc76eac79e7d7e840153c1fbe7b6e02d415e76a45ba2e0ef99a266"),
    "1.35": ("v1.35.2", "sha256:aac369dc283927a623deb1af54696efcc722ae79255aa07788422e495bab887d"),
}


def cluster_autoscaler_image(kubernetes_version: str) -> str:
    """`<repository>@<digest>` of the CA release for `kubernetes_version` (a minor such as "1.35"); KeyError
    when none is pinned (autoscaler_image_problem says so in words)."""
    _release, digest = CLUSTER_AUTOSCALER_RELEASES[kubernetes_version]
    return f"{CLUSTER_AUTOSCALER_REPOSITORY}@{digest}"


def autoscaler_image_problem(kubernetes_version: str) -> str | None:
    """Why no Cluster Autoscaler can run on `kubernetes_version`, or None when one is pinned."""
    if kubernetes_version in CLUSTER_AUTOSCALER_RELEASES:
        return None
    return (
        f"{kubernetes_version!r} has no Cluster Autoscaler image pinned (CA's minor must match the cluster's); "
        f"pinned minors: {', '.join(CLUSTER_AUTOSCALER_RELEASES)} "
        "(components/training_cluster/autoscaler_images.py)"
    )
