"""The bootstrap model: the shipped archive is current, reproducible, and serves uniform probabilities."""

import io
import tarfile

import numpy as np
import onnxruntime as ort

from modelyard.model_code.bootstrap import BOOTSTRAP_ARCHIVE, bootstrap_archive_bytes


def test_shipped_archive_matches_the_generator():
    # Regenerate with `python -m modelyard.model_code.bootstrap` when the generator changes.
    assert BOOTSTRAP_ARCHIVE.read_bytes() == bootstrap_archive_bytes()


def test_bootstrap_model_answers_uniform_probabilities():
    with tarfile.open(fileobj=io.BytesIO(bootstrap_archive_bytes()), mode="r:gz") as archive:
        assert sorted(archive.getnames()) == ["model.onnx", "model_card.json"]
        model = archive.extractfile("model.onnx").read()
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    rows = np.random.default_rng(0).normal(size=(5, 30)).astype(np.float32)
    label, probabilities = session.run(["label", "probabilities"], {"input": rows})
    assert label.tolist() == [0] * 5
    np.testing.assert_allclose(probabilities, np.full((5, 2), 0.5, dtype=np.float32))
