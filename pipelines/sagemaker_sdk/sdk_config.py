"""The SDK's defaults config as the SDK itself loads it, with telemetry opted out unless that config says otherwise.

The SDK sends usage telemetry from a background thread for every decorated call unless the config key
`SageMaker.PythonSDK.Modules.TelemetryOptOut` is true (sagemaker-core `telemetry/telemetry_logging.py` reads it
through the session's `sagemaker_config`; schema key `config/config_schema.py` TELEMETRY_OPT_OUT_PATH). To opt
in, set that key to false in the SDK's user config: the file named by SAGEMAKER_USER_CONFIG_OVERRIDE, or the
default user config (see https://sagemaker.readthedocs.io/en/stable/overview.html
#configuring-and-using-defaults-with-the-sagemaker-python-sdk):

    SchemaVersion: '1.0'
    SageMaker:
      PythonSDK:
        Modules:
          TelemetryOptOut: false
"""

from __future__ import annotations

import copy
from typing import Any

TELEMETRY_OPT_OUT_PATH = ("SageMaker", "PythonSDK", "Modules", "TelemetryOptOut")
SCHEMA_VERSION = "1.0"


def sdk_config() -> dict[str, Any]:
    """The admin and user defaults files (and their SAGEMAKER_*_CONFIG_OVERRIDE locations), TelemetryOptOut true
    where they leave it unset."""
    from sagemaker.core.config import load_sagemaker_config

    config = copy.deepcopy(load_sagemaker_config())
    config.setdefault("SchemaVersion", SCHEMA_VERSION)
    section = config
    for key in TELEMETRY_OPT_OUT_PATH[:-1]:
        section = section.setdefault(key, {})
    section.setdefault(TELEMETRY_OPT_OUT_PATH[-1], True)
    return config


def telemetry_opted_out(config: dict[str, Any]) -> bool:
    """Whether a defaults config opts out of the SDK's telemetry."""
    value: Any = config
    for key in TELEMETRY_OPT_OUT_PATH:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value is True
