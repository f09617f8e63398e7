"""The PyTorch tabular classifier: an MLP with standardisation baked in, its served signature, model.pt."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

NATIVE_FORMAT = "modelyard.tabular-mlp/1"


class TabularMLP(nn.Module):
    """Standardises raw features with the training set's mean and scale (buffers, so ONNX takes raw
    features), then an MLP returning class logits."""

    def __init__(
        self, n_features: int, n_classes: int, hidden_units: int, hidden_layers: int, dropout: float
    ):
        super().__init__()
        self.architecture = {
            "n_features": n_features,
            "n_classes": n_classes,
            "hidden_units": hidden_units,
            "hidden_layers": hidden_layers,
            "dropout": dropout,
        }
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_scale", torch.ones(n_features))
        layers: list[nn.Module] = []
        width = n_features
        for _ in range(hidden_layers):
            layers += [nn.Linear(width, hidden_units), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden_units
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def fit_standardisation(self, features: torch.Tensor) -> None:
        """Set mean and scale from the training features."""
        self.feature_mean.copy_(features.mean(dim=0))
        spread = features.std(dim=0)
        # A constant feature has zero spread; dividing by 1 keeps it at 0 after centring instead of NaN.
        self.feature_scale.copy_(torch.where(spread > 0, spread, torch.ones_like(spread)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers((features - self.feature_mean) / self.feature_scale)


class LabelAndProbabilities(nn.Module):
    """The served signature: raw features -> (label int64 [batch], probabilities float32 [batch, classes])."""

    def __init__(self, mlp: TabularMLP, classes: list[int]):
        super().__init__()
        self.mlp = mlp
        self.register_buffer("classes", torch.tensor(classes, dtype=torch.int64))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        probabilities = torch.softmax(self.mlp(features), dim=1)
        return self.classes[torch.argmax(probabilities, dim=1)], probabilities


def save_model(mlp: TabularMLP, classes: list[int], feature_names: list[str], path: str | Path) -> Path:
    """Write model.pt: plain tensors and lists only, so it loads with weights_only=True (no pickled code)."""
    torch.save(
        {
            "format": NATIVE_FORMAT,
            "architecture": mlp.architecture,
            "state_dict": mlp.state_dict(),
            "classes": classes,
            "feature_names": feature_names,
        },
        str(path),
    )
    return Path(path)


def load_model(path: str | Path) -> tuple[LabelAndProbabilities, list[str]]:
    """The served module (in eval mode, on CPU) from a model.pt, with its feature names."""
    saved = torch.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != NATIVE_FORMAT:
        raise ValueError(f"{path} is not a {NATIVE_FORMAT} checkpoint")
    mlp = TabularMLP(**saved["architecture"])
    mlp.load_state_dict(saved["state_dict"])
    return LabelAndProbabilities(mlp, saved["classes"]).eval(), saved["feature_names"]


def parameter_sha256(module: nn.Module) -> str:
    """sha256 over every parameter's and buffer's bytes in state-dict order: equal iff bitwise equal."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return digest.hexdigest()
