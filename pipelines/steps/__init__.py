"""The pipeline steps: each a Python function and a `python -m modelyard.pipelines.steps.<step>` entry point."""
