# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both set up .venv themselves on a fresh machine and are safe to re-run.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# PyTorch is pinned so pip takes the CPU wheel where one lies on disk (/opt/wheels) instead of
# resolving a newer multi-GB CUDA build. Override for your machine, e.g.
#   make test TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
LOCAL_WHEELS := $(if $(wildcard /opt/wheels/torch-*),--find-links /opt/wheels)

.PHONY: setup test demo bench lint scan sdk-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q $(LOCAL_WHEELS) $(TORCH_SPEC)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[torch,bench,dev]"
	touch $(STAMP)

test: setup
	$(PY) -m pytest

demo: setup
	$(VENV)/bin/modelyard demo

bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) benchmarks/serving.py
	$(PY) benchmarks/plan_time.py

# checkov in a venv of its own (its pins clash with ours), offline with --skip-download: both plan exports of
# every shipped stack, failing on any failed check not in policies/checkov-skips.txt. Report: .modelyard/scan/.
CHECKOV_VENV := .venv-checkov
CHECKOV_SPEC ?= checkov==3.3.30

$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --disable-pip-version-check -q "$(CHECKOV_SPEC)"
	touch $@

scan: setup $(CHECKOV_VENV)/.installed
	$(PY) -m modelyard.planning.checkov_scan --checkov $(CHECKOV_VENV)/bin/checkov --out .modelyard/scan
# The optional SageMaker SDK bridge, in its own venv: the project's venv's exact versions (so pip resolves
# nothing anew), then the `sagemaker` extra on top, which must change no installed version, then its tests
# (tests/sdk; they skip where the SDK is not installed).
SDK_VENV := .venv-sagemaker
SDK_PY := $(SDK_VENV)/bin/python

sdk-check: setup
	test -x $(SDK_PY) || python3 -m venv $(SDK_VENV)
	$(PY) -m pip list --disable-pip-version-check --format=freeze --exclude-editable > $(SDK_VENV)/project-pins.txt
	$(SDK_PY) -m pip install --disable-pip-version-check -q -c $(SDK_VENV)/project-pins.txt -e ".[dev]"
	$(SDK_PY) -m pip list --disable-pip-version-check --format=freeze --exclude-editable > $(SDK_VENV)/before.txt
	$(SDK_PY) -m pip install --disable-pip-version-check -q -e ".[dev,sagemaker]"
	$(SDK_PY) -m pip list --disable-pip-version-check --format=freeze --exclude-editable > $(SDK_VENV)/after.txt
	$(SDK_PY) tests/sdk/check_no_downgrades.py $(SDK_VENV)/before.txt $(SDK_VENV)/after.txt
	$(SDK_PY) -m pytest tests/sdk

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/lint_layers.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SDK_VENV) .modelyard .pytest_cache
