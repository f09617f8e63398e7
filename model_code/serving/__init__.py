"""The SageMaker-contract inference server (GET /ping, POST /invocations) on ONNX Runtime."""

from .process import ServerProcess, ServerStartError, start_server

__all__ = ["ServerProcess", "ServerStartError", "start_server"]
