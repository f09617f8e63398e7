"""Maps the top-level folders onto one importable package, `modelyard` (see DESIGN.md)."""

from setuptools import find_packages, setup

# Layers, bottom to top (enforced by import-linter, [tool.importlinter] in pyproject.toml):
# catalog -> costing -> model_code | policies | components | workflow -> stacks -> planning -> pipelines -> cli
FOLDER_OF_PACKAGE = {
    "modelyard": "core",
    "modelyard.catalog": "catalog",
    "modelyard.costing": "costing",
    "modelyard.workflow": "workflow",
    "modelyard.planning": "planning",
    "modelyard.cli": "cli",
    "modelyard.stacks": "stacks",
    "modelyard.components": "components",
    "modelyard.policies": "policies",
    "modelyard.model_code": "model_code",
    "modelyard.pipelines": "pipelines",
}

packages = []
for package, folder in FOLDER_OF_PACKAGE.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=FOLDER_OF_PACKAGE)
