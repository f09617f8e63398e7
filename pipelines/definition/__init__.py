"""The pipeline as a SageMaker Pipeline definition: its compiler, and a local executor of the same definition."""
