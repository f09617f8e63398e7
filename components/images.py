"""The training and serving images: built and pushed to ECR inside `pulumi up`, or CI-built digests."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from modelyard.catalog.image_refs import DIGEST_REF_FORM, is_digest_ref
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:images:ContainerImages"
IMAGE_ROLES = ("training", "serving")
# SageMaker and Lambda run x86_64 images unless told otherwise; a build on an arm64 laptop must not
# push an arm64 image.
PLATFORM = docker_build.Platform.LINUX_AMD64
# The COPY sources of a Dockerfile (a multi-stage `COPY --from=...` copies from a stage, not the context).
_COPY = re.compile(r"^COPY\s+(?!--from)(?:--\S+\s+)*(?P<sources>.+?)\s+\S+\s*$", re.MULTILINE)
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def context_fingerprint(context: Path, dockerfiles: list[Path]) -> str:
    """A short hash of the Dockerfiles and every file their COPY lines take from the context.

    ECR repositories here have immutable tags, so each distinct build needs its own tag: the fingerprint
    changes exactly when the images' inputs change, and a rebuild of unchanged sources keeps its tag. One
    fingerprint covers both images, so the pipeline names both with one ImageTag.
    """
    digest = hashlib.sha256()
    sources: set[Path] = set()
    for dockerfile in sorted(dockerfiles):
        digest.update(dockerfile.read_bytes())
        sources |= _copied_paths(context, dockerfile.read_text())
    for source in sorted(sources):
        digest.update(str(source.relative_to(context)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def _copied_paths(context: Path, dockerfile_text: str) -> set[Path]:
    found: set[Path] = set()
    for match in _COPY.finditer(dockerfile_text):
        for source in match.group("sources").split():
            path = context / source
            candidates = path.rglob("*") if path.is_dir() else [path]
            found.update(
                candidate
                for candidate in candidates
                if candidate.is_file()
                and not _SKIPPED_PARTS & set(candidate.parts)
                and candidate.suffix != ".pyc"
            )
    return found


@dataclass(kw_only=True)
class ContainerImagesArgs:
    """Where the images go and where they come from."""

    repository_urls: dict[str, pulumi.Input[str]]
    """ECR repository URL per image role ("training", "serving"). Required."""
    registry_id: pulumi.Input[str]
    """Account id of the ECR registry holding the repositories (for the push credentials). Required."""
    version: str
    """Release version; tags read `<version>-<fingerprint of the build inputs>`. Required."""
    context: Path
    """Docker build context (the repository root: the Dockerfiles COPY the package from it). Required."""
    dockerfiles: dict[str, Path] = field(default_factory=dict)
    """Dockerfile per image role. Default {}: `model_code/Dockerfile.<role>` under `context`."""
    prebuilt: dict[str, str] = field(default_factory=dict)
    """Image role -> `<ecr-repo-uri>@sha256:<64 hex>` built elsewhere (CI); those roles are not built here.
    Default {} (build both)."""

    def dockerfile(self, role: str) -> Path:
        return self.dockerfiles.get(role, self.context / "model_code" / f"Dockerfile.{role}")

    def problems(self) -> list[str]:
        found = []
        for role in sorted(set(self.repository_urls) - set(IMAGE_ROLES)):
            found.append(f"repository_urls: {role!r} is not an image role ({', '.join(IMAGE_ROLES)})")
        for role in IMAGE_ROLES:
            if role not in self.repository_urls:
                found.append(f"repository_urls: the {role!r} repository is required")
        for role, ref in sorted(self.prebuilt.items()):
            if role not in IMAGE_ROLES:
                found.append(f"prebuilt: {role!r} is not an image role ({', '.join(IMAGE_ROLES)})")
            elif not is_digest_ref(ref):
                found.append(
                    f"prebuilt.{role}: {ref!r} is not an ECR image pinned by digest ({DIGEST_REF_FORM})"
                )
        for role in IMAGE_ROLES:
            if role not in self.prebuilt and not self.dockerfile(role).is_file():
                found.append(f"dockerfiles.{role}: {str(self.dockerfile(role))!r} does not exist")
        return found


class ContainerImages(pulumi.ComponentResource):
    """Builds each image with BuildKit (`docker buildx`), pushes it to its ECR repository, and exposes it by
    digest, so Lambda and SageMaker are created only once their image exists and always run exactly it.

    Needs Docker with buildx where `pulumi up` runs; roles given in `prebuilt` need neither Docker nor a build.
    """

    refs: dict[str, pulumi.Output[str]]
    """Image role -> `<repository-url>@sha256:<digest>` (the build's digest, or the prebuilt reference)."""
    tag: str | None
    """`<version>-<fingerprint>`, the tag every image built here carries; None when nothing is built."""

    def __init__(self, name: str, args: ContainerImagesArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("ContainerImages", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.refs = {}
        to_build = [role for role in IMAGE_ROLES if role not in args.prebuilt]
        self.tag = (
            f"{args.version}-{context_fingerprint(args.context, [args.dockerfile(role) for role in to_build])}"
            if to_build
            else None
        )
        if to_build:
            # A short-lived (12 h) registry token; the provider logs in with it for the push only.
            credentials = aws.ecr.get_authorization_token_output(
                registry_id=args.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
        for role in IMAGE_ROLES:
            if role in args.prebuilt:
                self.refs[role] = pulumi.Output.from_input(args.prebuilt[role])
                continue
            dockerfile = args.dockerfile(role)
            repository_url = pulumi.Output.from_input(args.repository_urls[role])
            image = docker_build.Image(
                f"{name}-{role}",
                docker_build.ImageArgs(
                    context=docker_build.BuildContextArgs(location=str(args.context)),
                    dockerfile=docker_build.DockerfileArgs(location=str(dockerfile)),
                    platforms=[PLATFORM],
                    tags=[pulumi.Output.concat(repository_url, ":", self.tag)],
                    push=True,
                    # Preview must not need Docker: CI previews without it (the plan runs offline).
                    build_on_preview=False,
                    registries=[
                        docker_build.RegistryArgs(
                            address=repository_url,
                            username=credentials.user_name,
                            password=pulumi.Output.secret(credentials.password),
                        )
                    ],
                ),
                pulumi.ResourceOptions(parent=self),
            )
            # `<repository>@<digest>` rather than the provider's `ref` (`<repository>:<tag>@<digest>`): the one
            # form Lambda and SageMaker document for digests, and the one `prebuilt` accepts.
            self.refs[role] = pulumi.Output.concat(repository_url, "@", image.digest)
        self.register_outputs({f"{role}_ref": ref for role, ref in self.refs.items()})
