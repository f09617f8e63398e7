"""`python -m modelyard.model_code.serving --model-dir DIR ...`: the server without the rest of the CLI."""

import typer

from .cli import serve

if __name__ == "__main__":
    typer.run(serve)
