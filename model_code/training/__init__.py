"""Training entry points (scikit-learn, PyTorch) under the SageMaker training contract, with ONNX export."""
