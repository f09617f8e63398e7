"""Serving benchmark: our server against the usual Python serving stacks, same model, same wrk, one run.

    python benchmarks/serving.py [--duration 5] [--install-mlserver] [--skip NAME ...]

Servers (all on 127.0.0.1, 2 workers where the stack has workers):
  ours            modelyard's server (python -m modelyard.model_code.serving)
  naive           stdlib http.server, pickle-loaded scikit-learn model per request (issue 6's baseline)
  stdlib+ort      stdlib ThreadingHTTPServer + one ONNX Runtime session
  gunicorn+flask  gunicorn sync x2 + Flask + scikit-learn (SageMaker's sklearn container, minus nginx)
  uvicorn+ort     uvicorn x2 (httptools, uvloop) + Starlette + ORT per worker (issue 10's reference)
  mlserver        MLServer + mlserver-sklearn, 2 parallel workers (V2 protocol body), when installed
Each is measured at concurrency 1 and 16 by wrk (one thread, keep-alive, one JSON row per request),
in the order A B C ... C B A per concurrency so a shared machine's drift cancels; req/s and p50 are the
means of the two passes, p99 is shown for each pass and the verdicts use the worse one.
Needs wrk (apt-get install wrk). Single-row predict latency in-process: benchmarks/predict_latency.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "serving_baselines"
sys.path.insert(0, str(BASELINES))
from demo_model import write_demo_model  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

MLSERVER_VENV = Path.home() / ".cache" / "modelyard" / "mlserver-venv"
# MLServer's parallel workers crash on uvloop >= 0.22 (SeldonIO/MLServer issue 2286), hence the pin.
MLSERVER_PACKAGES = ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", "uvloop<0.22"]
WORKERS = 2


@dataclass
class Server:
    """A server under test: how to start it, where to send the request, and what it measured."""

    name: str
    command: list[str]
    port: int
    path: str
    ready_path: str
    body_file: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen | None = None
    runs: dict[int, list[dict]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mlserver_binary(install: bool) -> tuple[Path | None, str]:
    """The mlserver executable, or None and the reason it is missing."""
    for candidate in (
        os.environ.get("MLSERVER_BIN"),
        shutil.which("mlserver"),
        MLSERVER_VENV / "bin" / "mlserver",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate), ""
    if not install:
        return None, (
            "MLServer is not installed (its dependency set conflicts with this project's, so it lives in its own "
            f"venv); rerun with --install-mlserver to create {MLSERVER_VENV} (~2 min, needs PyPI)"
        )
    print(f"installing {' '.join(MLSERVER_PACKAGES)} into {MLSERVER_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(MLSERVER_VENV)], check=True)
    result = subprocess.run(
        [str(MLSERVER_VENV / "bin" / "pip"), "install", "-q", *MLSERVER_PACKAGES],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return None, f"pip could not install MLServer: {result.stderr.strip().splitlines()[-1:]}"
    return MLSERVER_VENV / "bin" / "mlserver", ""


def build_servers(work: Path, model_dir: Path, row: list[float], skip: set[str], install_mlserver: bool):
    sagemaker_body = work / "sagemaker.json"
    sagemaker_body.write_text(json.dumps({"instances": [row]}))
    python = sys.executable
    bin_dir = Path(python).parent
    env = {"MODEL_DIR": str(model_dir)}
    servers = []

    def add(name, command, ready_path="/ping", path="/invocations", body=sagemaker_body, **extra):
        if name not in skip:
            port = free_port()
            servers.append(
                Server(
                    name,
                    [part.replace("{port}", str(port)) for part in command],
                    port,
                    path,
                    ready_path,
                    body,
                    **extra,
                )
            )

    add(
        "ours",
        [
            python,
            "-m",
            "modelyard.model_code.serving",
            "--model-dir",
            str(model_dir),
            "--port",
            "{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
    )
    add("naive", [python, str(BASELINES / "naive_pickle_server.py"), "{port}"], env=env)
    add("stdlib+ort", [python, str(BASELINES / "stdlib_ort_server.py"), "{port}"], env=env)
    add(
        "gunicorn+flask",
        [
            str(bin_dir / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:{port}",
            "--log-level",
            "warning",
            "flask_sklearn_app:app",
        ],
        env=env,
        cwd=BASELINES,
    )
    add(
        "uvicorn+ort",
        [
            str(bin_dir / "uvicorn"),
            "starlette_ort_app:app",
            "--workers",
            str(WORKERS),
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=BASELINES,
    )
    skipped = {}
    if "mlserver" not in skip:
        binary, reason = mlserver_binary(install_mlserver)
        if binary is None:
            skipped["mlserver"] = reason
        else:
            repository = work / "mlserver"
            (repository / "gbc").mkdir(parents=True)
            shutil.copy(model_dir / "model.pkl", repository / "gbc" / "model.joblib")
            (repository / "gbc" / "model-settings.json").write_text(
                json.dumps(
                    {
                        "name": "gbc",
                        "implementation": "mlserver_sklearn.SKLearnModel",
                        "parameters": {"uri": "./model.joblib"},
                    }
                )
            )
            port = free_port()
            (repository / "settings.json").write_text(
                json.dumps(
                    {
                        "host": "127.0.0.1",
                        "http_port": port,
                        "grpc_port": free_port(),
                        "metrics_port": free_port(),
                        # MLServer's Prometheus files go to ./.metrics of its cwd unless told otherwise.
                        "metrics_dir": str(repository / ".metrics"),
                        "parallel_workers": WORKERS,
                    }
                )
            )
            v2_body = work / "v2.json"
            v2_body.write_text(
                json.dumps(
                    {
                        "inputs": [{"name": "X", "shape": [1, len(row)], "datatype": "FP32", "data": row}],
                        "outputs": [{"name": "predict_proba"}],
                    }
                )
            )
            servers.append(
                Server(
                    "mlserver",
                    [str(binary), "start", str(repository)],
                    port,
                    "/v2/models/gbc/infer",
                    "/v2/models/gbc/ready",
                    v2_body,
                )
            )
    return servers, skipped


def start(server: Server, logs: Path) -> None:
    log = open(logs / f"{server.name}.log", "wb")
    server.process = subprocess.Popen(
        server.command,
        cwd=server.cwd,
        env={**os.environ, **server.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so that stopping it takes its workers along
    )


def wait_ready(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{server.port}{server.ready_path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode} before becoming ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready on {url} after {timeout:.0f} s")


def run_wrk(server: Server, connections: int, duration: int) -> dict:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(BASELINES / "post.lua"),
        f"http://127.0.0.1:{server.port}{server.path}",
    ]
    output = subprocess.run(
        command,
        env={**os.environ, "BODY_FILE": str(server.body_file)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = json.loads(output.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    return summary


def process_tree_rss_mib(root: int) -> list[float]:
    """RSS of each worker process: the root's descendants (minus helpers), or the root when it has none."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    descendants, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        descendants += children
        frontier = children
    workers = []
    for pid in descendants:
        try:
            if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
        except OSError:
            continue
    sizes = []
    for pid in workers or [root]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        sizes.append(kib / 1024)
    return sizes


def stop(server: Server) -> None:
    if server.process and server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


def summarise(server: Server, connections: int) -> dict:
    runs = server.runs[connections]
    return {
        "rps": sum(run["rps"] for run in runs) / len(runs),
        "p50_ms": sum(run["p50_us"] for run in runs) / len(runs) / 1e3,
        "p99_ms": max(run["p99_us"] for run in runs) / 1e3,
        "p99_passes": "/".join(f"{run['p99_us'] / 1e3:.2f}" for run in runs),
        "non2xx": sum(run["non2xx"] for run in runs),
        "errors": sum(run["socket_errors"] + run["timeouts"] for run in runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk measurement (default 5)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 1], help="wrk connections (16 1)")
    parser.add_argument("--skip", nargs="*", default=[], help="server names to leave out")
    parser.add_argument("--install-mlserver", action="store_true", help=f"create {MLSERVER_VENV} if missing")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        work = Path(tmp)
        model_dir = work / "model"
        features = write_demo_model(model_dir)
        servers, skipped = build_servers(
            work, model_dir, features[0].tolist(), set(args.skip), args.install_mlserver
        )
        try:
            for server in servers:
                start(server, work)
            for server in servers:
                wait_ready(server)
                run_wrk(server, 16, 1)  # warm-up: connections, caches, lazy imports
            for connections in args.concurrency:
                for server in servers + servers[::-1]:
                    server.runs.setdefault(connections, []).append(
                        run_wrk(server, connections, args.duration)
                    )
            rss = {server.name: process_tree_rss_mib(server.process.pid) for server in servers}
        except Exception:
            for server in servers:
                log_file = work / f"{server.name}.log"
                if log_file.exists():
                    print(
                        f"--- {server.name} log (tail) ---\n{log_file.read_text()[-2000:]}", file=sys.stderr
                    )
            raise
        finally:
            for server in servers:
                stop(server)

    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  {os.cpu_count()} CPUs "
        f"(affinity {len(os.sched_getaffinity(0))})  {platform.processor() or platform.machine()}  "
        f"wrk -t1, {args.duration} s per pass, 2 passes (A..Z Z..A), one JSON row per request"
    )
    header = (
        f"{'server':16}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms (passes)':>18}{'non-2xx':>9}{'sock err':>9}"
        f"{'RSS/worker MiB':>16}{'ours x':>8}"
    )
    print(header)
    print("-" * len(header))
    ours = next((server for server in servers if server.name == "ours"), None)
    for connections in args.concurrency:
        for server in servers:
            result = summarise(server, connections)
            sizes = rss[server.name]
            ratio = summarise(ours, connections)["rps"] / result["rps"] if ours else float("nan")
            print(
                f"{server.name:16}{connections:>5}{result['rps']:>10.0f}{result['p50_ms']:>9.2f}"
                f"{result['p99_passes']:>18}{result['non2xx']:>9}{result['errors']:>9}"
                f"{sum(sizes) / max(len(sizes), 1):>10.0f} x{len(sizes)}{ratio:>8.2f}"
            )
    for name, reason in skipped.items():
        print(f"{name}: skipped: {reason}")
    if ours:
        names = {server.name: server for server in servers}
        if "naive" in names and 16 in args.concurrency:
            o, n = summarise(ours, 16), summarise(names["naive"], 16)
            verdict = "met" if o["rps"] >= 3 * n["rps"] and o["p99_ms"] <= 10 else "NOT met"
            print(
                f"ours vs naive at c16: {o['rps'] / n['rps']:.1f}x req/s, ours p99 {o['p99_ms']:.2f} ms "
                f"(issue 6 target: >= 3x with p99 <= 10 ms: {verdict})"
            )
        if "uvicorn+ort" in names and 16 in args.concurrency:
            o, u = summarise(ours, 16), summarise(names["uvicorn+ort"], 16)
            verdict = "met" if o["rps"] >= 1.5 * u["rps"] and o["p99_ms"] <= 5 else "NOT met"
            print(
                f"ours vs uvicorn+starlette+ort at c16: {o['rps'] / u['rps']:.2f}x req/s, ours p99 "
                f"{o['p99_ms']:.2f} ms (issue 10 target: >= 1.5x with p99 <= 5 ms: {verdict})"
            )
        if 1 in args.concurrency:
            p50 = summarise(ours, 1)["p50_ms"]
            print(
                f"ours c1 p50 {p50:.3f} ms (issue 10 target <= 0.2 ms: {'met' if p50 <= 0.2 else 'NOT met'})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
