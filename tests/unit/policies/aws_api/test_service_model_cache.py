"""botocore's models are parsed once and read back from the user's cache by later plans."""

from __future__ import annotations

import marshal
import sys

import botocore
import botocore.session
import pytest

from modelyard.policies.aws_api import service_models


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_CACHE_DIR", str(tmp_path))
    return service_models.models_cache_dir()


def test_first_read_writes_the_cache_and_the_next_reads_it(cache_dir, monkeypatch):
    parsed = service_models.service_description("sagemaker")
    cached = cache_dir / "sagemaker.marshal"
    assert cached.is_file()
    assert "CreateEndpointConfig" in parsed["operations"]
    assert "documentation" not in parsed["shapes"]["CreateEndpointConfigInput"]

    def no_parsing():
        raise AssertionError("the cached model should be read, not botocore's JSON")

    monkeypatch.setattr(service_models, "_session", no_parsing)
    assert service_models.service_description("sagemaker") == parsed


def test_the_cached_model_validates_like_botocores_own():
    ours = service_models.ServiceModel(service_models.service_description("eks"), service_name="eks")
    theirs = botocore.session.get_session().get_service_model("eks")
    for operation in ("CreateCluster", "CreateNodegroup"):
        mine, real = (
            ours.operation_model(operation).input_shape,
            theirs.operation_model(operation).input_shape,
        )
        assert mine.required_members == real.required_members
        assert {name: member.type_name for name, member in mine.members.items()} == {
            name: member.type_name for name, member in real.members.items()
        }


def test_a_corrupt_cache_file_is_parsed_again_and_replaced(cache_dir):
    cache_dir.mkdir(parents=True)
    (cache_dir / "kms.marshal").write_bytes(b"\x00not marshal")
    assert "CreateKey" in service_models.service_description("kms")["operations"]
    assert "CreateKey" in marshal.loads((cache_dir / "kms.marshal").read_bytes())["operations"]


def test_an_unwritable_cache_still_gives_the_model(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("MODELYARD_CACHE_DIR", str(blocker))
    assert "CreateKey" in service_models.service_description("kms")["operations"]


def test_an_unknown_service_is_none(cache_dir):
    assert service_models.service_description("no-such-service") is None
    assert not (cache_dir / "no-such-service.marshal").exists()


def test_the_cache_is_keyed_by_botocore_and_python(cache_dir):
    assert botocore.__version__ in cache_dir.name
    assert f"py{sys.version_info[0]}{sys.version_info[1]}" in cache_dir.name


def _constraints(shape, seen=None):
    """Everything validation reads from a request shape, recursively: member names, types and constraint traits."""
    seen = set() if seen is None else seen
    if shape.name in seen:
        return shape.name
    seen.add(shape.name)
    found = {
        "type": shape.type_name,
        "traits": {key: shape.metadata.get(key) for key in ("enum", "pattern", "min", "max")},
    }
    if shape.type_name == "structure":
        found["members"] = {name: _constraints(member, seen) for name, member in shape.members.items()}
    elif shape.type_name == "list":
        found["member"] = _constraints(shape.member, seen)
    elif shape.type_name == "map":
        found["key"], found["value"] = _constraints(shape.key, seen), _constraints(shape.value, seen)
    return found


@pytest.mark.parametrize(
    ("service", "operation"),
    [("sagemaker", "CreateEndpointConfig"), ("ec2", "CreateLaunchTemplate"), ("eks", "CreateNodegroup")],
)
def test_an_operations_slice_gives_the_request_shape_the_whole_model_gives(cache_dir, service, operation):
    service_models.operation_input.cache_clear()
    sliced = service_models.operation_input(service, operation)
    whole = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    assert _constraints(sliced) == _constraints(whole)
    assert (cache_dir / f"{service}.{operation}.marshal").is_file()


def test_a_cached_slice_is_read_without_the_whole_model(cache_dir, monkeypatch):
    service_models.operation_input.cache_clear()
    service_models.operation_names.cache_clear()
    first = service_models.operation_input("kms", "CreateKey")
    service_models.operation_input.cache_clear()
    service_models.operation_names.cache_clear()

    def no_whole_model(service):
        raise AssertionError(f"the slice of {service} should be read from the cache")

    monkeypatch.setattr(service_models, "service_description", no_whole_model)
    again = service_models.operation_input("kms", "CreateKey")
    assert set(again.members) == set(first.members)
    assert service_models.operation_named("kms", "createkey") == "CreateKey"


def test_an_unknown_operation_or_service_is_a_key_error_naming_it(cache_dir):
    with pytest.raises(KeyError, match="NoSuchOperation"):
        service_models.operation_input("kms", "NoSuchOperation")
    with pytest.raises(KeyError, match="no-such-service"):
        service_models.operation_input("no-such-service", "CreateThing")
    assert service_models.operation_names("no-such-service") is None
