"""The local cloud's AWS side: a patched moto server on 127.0.0.1 that hosts endpoints with the real model server."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from moto.server import ThreadedMotoServer

from modelyard.pipelines.local_cloud import sagemaker_patch, service_quotas_stub
from modelyard.pipelines.local_cloud.endpoint_hosting import READY_TIMEOUT_SECONDS, EndpointHosting

LOOPBACK = "127.0.0.1"


@dataclass
class RunningCloud:
    """A started moto server with its endpoint hosting; `stop` ends the model servers, then moto."""

    server: ThreadedMotoServer
    endpoint_url: str
    hosting: EndpointHosting

    def stop(self) -> None:
        self.hosting.stop_all()
        self.server.stop()


def start_cloud(
    work_dir: Path,
    port: int = 0,
    region: str = "us-east-1",
    health_timeout_seconds: float = READY_TIMEOUT_SECONDS,
) -> RunningCloud:
    """Start moto on 127.0.0.1:`port` (0: any free port) in this process, with the SageMaker and Service Quotas
    patches installed; endpoint models are unpacked under `work_dir` and must answer /ping within
    `health_timeout_seconds` to go InService."""
    # One access-log line per AWS call drowns every other message.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    hosting = EndpointHosting(Path(work_dir) / "endpoints", endpoint_url, region, health_timeout_seconds)
    sagemaker_patch.install(hosting)
    service_quotas_stub.install()
    return RunningCloud(server, endpoint_url, hosting)


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; print `READY <endpoint-url>` once serving (the parent waits for that line)."""
    parser = argparse.ArgumentParser(description="Run the local cloud's moto server in the foreground.")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    cloud = start_cloud(args.work_dir, args.port, args.region)
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    print(f"READY {cloud.endpoint_url}", flush=True)
    while not stopping.wait(0.5):
        pass
    cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
