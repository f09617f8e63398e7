"""`local-cloud up|down|status`: the local cloud as a detached process on 127.0.0.1, recorded in a state file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from modelyard.catalog.errors import ModelyardError
from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import EMULATOR_CREDENTIALS, AwsClients
from modelyard.pipelines.local_cloud.seeding import seed_stack_resources
from modelyard.pipelines.model_registry import MlflowRegistryClient
from modelyard.pipelines.options import LOCAL_CLOUD_ROOT
from modelyard.pipelines.stack_outputs import outputs_from_plan
from modelyard.stacks.config import ConfigError, load_stack_config

SERVER_MODULE = "modelyard.pipelines.local_cloud.server"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
OUTPUTS_FILE = "outputs.json"


class LocalCloudError(ModelyardError):
    """The local cloud could not start or stop; the message says why and where its log is."""


@dataclass(frozen=True)
class LocalCloudState:
    """What `up` started, as recorded in <root>/<stack>/state.json."""

    stack: str
    pid: int
    endpoint_url: str
    region: str
    mlflow_tracking_uri: str
    mlflow_artifact_root: str
    outputs_file: str
    log_file: str
    started_at: str

    def environment(self) -> dict[str, str]:
        """The variables a step process needs to talk to this local cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            **EMULATOR_CREDENTIALS,
            "MLFLOW_TRACKING_URI": self.mlflow_tracking_uri,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
        }


@dataclass(frozen=True)
class LocalCloudStatus:
    running: bool
    state: LocalCloudState | None
    detail: str


def stack_dir(stack: str, root: Path = LOCAL_CLOUD_ROOT) -> Path:
    return Path(root).resolve() / stack


def _state_file(stack: str, root: Path) -> Path:
    return stack_dir(stack, root) / "state.json"


def _read_state(stack: str, root: Path) -> LocalCloudState | None:
    """The recorded state; LocalCloudError when the file is unreadable (truncated, hand-edited)."""
    path = _state_file(stack, root)
    if not path.is_file():
        return None
    try:
        return LocalCloudState(**json.loads(path.read_text()))
    except (ValueError, TypeError) as error:
        raise LocalCloudError(
            f"the local cloud's state file {path} is unreadable ({type(error).__name__}: {error}); "
            f"`modelyard local-cloud down --stack {stack}` stops the server it started and removes the file"
        ) from None


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _is_our_server(pid: int) -> bool:
    return SERVER_MODULE in _command_line(pid)


def _servers_working_in(home: Path) -> list[int]:
    """Our server processes started with `--work-dir home` (how `down` finds them without a state file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        arguments = _command_line(int(entry.name))
        if SERVER_MODULE in arguments and any(
            flag == "--work-dir" and value == str(home) for flag, value in zip(arguments, arguments[1:])
        ):
            found.append(int(entry.name))
    return found


def _answers(endpoint_url: str) -> bool:
    host, _, port = endpoint_url.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def status(stack: str, root: Path = LOCAL_CLOUD_ROOT) -> LocalCloudStatus:
    """Whether the local cloud of `stack` runs and answers; LocalCloudError when its state file is unreadable."""
    state = _read_state(stack, root)
    if state is None:
        return LocalCloudStatus(False, None, f"not running (no {_state_file(stack, root)})")
    if not _is_our_server(state.pid):
        return LocalCloudStatus(False, state, f"not running (process {state.pid} is gone; stale state file)")
    if not _answers(state.endpoint_url):
        return LocalCloudStatus(
            False, state, f"process {state.pid} is alive but {state.endpoint_url} does not answer"
        )
    return LocalCloudStatus(True, state, f"running at {state.endpoint_url} (pid {state.pid})")


def _default_quotas(stack: str, outputs: StackOutputs) -> tuple[int, int]:
    """(training, endpoint) GPU instances the stack needs: from its config when one ships, else its outputs."""
    try:
        config = load_stack_config(stack)
    except (ConfigError, FileNotFoundError, OSError):
        return outputs.training_instance_count, 1
    return config.training.sagemaker_instance_count, config.inference.max_capacity


def up(
    stack: str,
    root: Path = LOCAL_CLOUD_ROOT,
    outputs: StackOutputs | None = None,
    port: int = 0,
    progress: Callable[[str], None] = lambda message: None,
) -> LocalCloudState:
    """Start (or find running) the local cloud of `stack`: moto on 127.0.0.1, resources seeded from the stack
    outputs (default: the offline plan's), MLflow on sqlite with artifacts under <root>/<stack>/mlflow.
    `progress` receives one line per phase as it starts (the whole takes seconds to tens of seconds)."""
    current = status(stack, root)
    if current.running:
        progress(f"found the running local cloud of {stack!r} (pid {current.state.pid})")
        return current.state
    if outputs is None:
        progress(f"planning stack {stack!r} offline for the outputs to seed ...")
        outputs = outputs_from_plan(stack)
    home = stack_dir(stack, root)
    home.mkdir(parents=True, exist_ok=True)
    log_file = home / "server.log"
    progress(f"starting the AWS emulator (moto) on 127.0.0.1, log {log_file} ...")
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                SERVER_MODULE,
                "--work-dir",
                str(home),
                "--port",
                str(port),
                "--region",
                outputs.region,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        endpoint_url = _wait_ready(process, log_file)
        clients = AwsClients(outputs.region, endpoint_url)
        progress(f"seeding the stack's buckets, key, roles, repositories and quotas at {endpoint_url} ...")
        seeded = seed(stack, clients, outputs)
        progress(f"creating the MLflow registry (sqlite) under {home / 'mlflow'} ...")
        tracking_uri, artifact_root = _prepare_mlflow(home, seeded)
    except BaseException:
        _terminate(process.pid)
        raise
    outputs_file = home / OUTPUTS_FILE
    outputs_file.write_text(seeded.model_dump_json(indent=2))
    outputs_file.chmod(0o600)
    state = LocalCloudState(
        stack=stack,
        pid=process.pid,
        endpoint_url=endpoint_url,
        region=outputs.region,
        mlflow_tracking_uri=tracking_uri,
        mlflow_artifact_root=artifact_root,
        outputs_file=str(outputs_file),
        log_file=str(log_file),
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    _state_file(stack, root).write_text(json.dumps(asdict(state), indent=2))
    return state


def seed(stack: str, clients: AwsClients, outputs: StackOutputs) -> StackOutputs:
    training_quota, endpoint_quota = _default_quotas(stack, outputs)
    return seed_stack_resources(clients, outputs, training_quota, endpoint_quota)


def _prepare_mlflow(home: Path, outputs: StackOutputs) -> tuple[str, str]:
    import mlflow  # noqa: F401 - imported before _quiet: importing MLflow sets its logger's level

    folder = home / "mlflow"
    artifacts = folder / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    with _quiet("mlflow"):  # "Creating initial MLflow database tables..." is MLflow's news, not the user's
        registry = MlflowRegistryClient(tracking_uri, outputs.model_package_group_name, outputs.pipeline_name)
        registry.ensure_experiment(artifact_location=artifacts.as_uri())
    return tracking_uri, artifacts.as_uri()


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Only warnings and errors of `logger_name` (MLflow sets its own logger to INFO when imported)."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(max(previous, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(previous)


def _wait_ready(process: subprocess.Popen, log_file: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for line in log_file.read_text().splitlines():
            if line.startswith("READY "):
                return line.split(" ", 1)[1].strip()
        if process.poll() is not None:
            raise LocalCloudError(
                f"the local cloud server exited with code {process.returncode}; log: {log_file}\n"
                + log_file.read_text()[-2000:]
            )
        time.sleep(0.05)
    raise LocalCloudError(
        f"the local cloud server did not start within {START_TIMEOUT_SECONDS:.0f}s; log: {log_file}"
    )


def _terminate(pid: int) -> None:
    """SIGTERM the server (it stops its model servers), then SIGKILL its process group if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = pid if not _is_our_server(pid) else 0
        if finished == pid:
            return
        time.sleep(0.05)
    try:
        # start_new_session made the server a group leader; its model servers share the group.
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(stack: str, root: Path = LOCAL_CLOUD_ROOT) -> LocalCloudStatus:
    """Stop the local cloud of `stack` and remove its state; MLflow's database and artifacts stay. With an
    unreadable state file it stops the servers working in the stack's folder and removes what they left."""
    try:
        current = status(stack, root)
    except LocalCloudError as error:
        return _down_without_state(stack, root, error)
    if current.state is not None and _is_our_server(current.state.pid):
        _terminate(current.state.pid)
    if current.state is not None:
        _state_file(stack, root).unlink(missing_ok=True)
        Path(current.state.outputs_file).unlink(missing_ok=True)
    return current


def _down_without_state(stack: str, root: Path, error: LocalCloudError) -> LocalCloudStatus:
    home = stack_dir(stack, root)
    servers = _servers_working_in(home)
    for pid in servers:
        _terminate(pid)
    _state_file(stack, root).unlink(missing_ok=True)
    (home / OUTPUTS_FILE).unlink(missing_ok=True)
    stopped = f"stopped pid {', '.join(map(str, servers))}" if servers else f"no server was running in {home}"
    return LocalCloudStatus(False, None, f"{error}\n{stopped}; state file removed")
