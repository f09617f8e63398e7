"""Modelyard: an MLOps platform on AWS as Pulumi components, with the model and pipeline code that runs on it."""

__version__ = "0.1.0"
