"""ContainerImages: images built and pushed to ECR in the update and referred to by digest, or CI's digests."""

from __future__ import annotations

from pathlib import Path

import pulumi

from modelyard.catalog.image_refs import is_digest_ref
from modelyard.components import ComponentArgsError, ContainerImages, ContainerImagesArgs
from modelyard.components.images import context_fingerprint

ROOT = Path(__file__).resolve().parents[3]
REPOSITORIES = {
    "training": "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelyard-unit-training",
    "serving": "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelyard-unit-serving",
}
PREBUILT = REPOSITORIES["serving"] + "@sha256:" + "ab" * 32


def _images(**overrides) -> ContainerImages:
    args = {
        "repository_urls": REPOSITORIES,
        "registry_id": "123456789012",
        "version": "0.1.0",
        "context": ROOT,
    }
    return ContainerImages("modelyard-unit", ContainerImagesArgs(**{**args, **overrides}))


def test_both_images_are_built_for_amd64_pushed_to_their_repository_and_referred_to_by_digest(program):
    def build():
        images = _images()
        pulumi.export("refs", images.refs)
        pulumi.export("tag", images.tag)

    run = program(build)
    assert run.error is None
    # One tag for both images (the pipeline's ImageTag names both), changing with what they copy.
    dockerfiles = [ROOT / "model_code" / f"Dockerfile.{role}" for role in ("training", "serving")]
    assert run.outputs["tag"] == f"0.1.0-{context_fingerprint(ROOT, dockerfiles)}"
    builds = {image.name: image for image in run.of_type("docker-build:index:Image")}
    assert sorted(builds) == ["modelyard-unit-serving", "modelyard-unit-training"]
    for role in ("training", "serving"):
        image = builds[f"modelyard-unit-{role}"]
        dockerfile = ROOT / "model_code" / f"Dockerfile.{role}"
        assert image.inputs["dockerfile"] == {"location": str(dockerfile)}
        assert image.inputs["context"] == {"location": str(ROOT)}
        assert image.inputs["platforms"] == ["linux/amd64"]
        assert image.inputs["push"] is True
        assert image.inputs["buildOnPreview"] is False
        # Immutable ECR tags: one tag per distinct content.
        assert image.inputs["tags"] == [f"{REPOSITORIES[role]}:{run.outputs['tag']}"]
        ref = run.outputs["refs"][role]
        assert ref.startswith(REPOSITORIES[role] + "@sha256:") and is_digest_ref(ref)


def test_prebuilt_digests_replace_their_build(program):
    def build():
        images = _images(prebuilt={"serving": PREBUILT})
        pulumi.export("refs", images.refs)
        pulumi.export("tag", images.tag)

    run = program(build)
    assert run.error is None
    assert [image.name for image in run.of_type("docker-build:index:Image")] == ["modelyard-unit-training"]
    assert run.outputs["tag"].startswith("0.1.0-")
    assert run.outputs["refs"]["serving"] == PREBUILT


def test_fingerprint_follows_the_files_the_dockerfile_copies(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "unrelated.txt").write_text("not copied\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY pkg pkg\nCOPY --from=builder /out /out\n")
    before = context_fingerprint(tmp_path, [dockerfile])

    (tmp_path / "unrelated.txt").write_text("changed\n")
    assert context_fingerprint(tmp_path, [dockerfile]) == before
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert context_fingerprint(tmp_path, [dockerfile]) != before


def test_invalid_args_name_every_problem_before_any_resource(program, tmp_path):
    run = program(
        lambda: _images(
            repository_urls={"training": REPOSITORIES["training"], "batch": "x"},
            prebuilt={"training": REPOSITORIES["training"] + ":0.1.0"},
            context=tmp_path,
        )
    )
    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    assert "repository_urls: 'batch' is not an image role (training, serving)" in message
    assert "repository_urls: the 'serving' repository is required" in message
    assert (
        f"prebuilt.training: '{REPOSITORIES['training']}:0.1.0' is not an ECR image pinned by digest"
        in message
    )
    assert f"dockerfiles.serving: '{tmp_path}/model_code/Dockerfile.serving' does not exist" in message
    assert run.resources == []
