"""The SageMaker Python SDK (3.x, extra `modelyard[sagemaker]`) preconfigured from a stack's outputs.

Nothing here imports `sagemaker` at module level: the plan, the stack program and the server never load it.
"""
