"""Process-group setup for a run alone, under torchrun / a Kubeflow TrainJob, or on SageMaker hosts."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelyard.catalog.errors import ModelyardError

DEFAULT_MASTER_PORT = 29500
SOCKET_INTERFACE_VARIABLES = ("GLOO_SOCKET_IFNAME", "NCCL_SOCKET_IFNAME")


class DistributedSetupError(ModelyardError, RuntimeError):
    """The environment describes a distributed run inconsistently; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class ProcessGroupLayout:
    """Where this process sits in the run, and where rank 0 listens."""

    rank: int
    world_size: int
    local_rank: int
    master_addr: str | None
    master_port: int | None
    socket_interface: str | None
    """The network interface gloo/NCCL must use (SageMaker hosts have several); None to let them choose."""


def process_group_layout(
    environ: Mapping[str, str], resource_config: Mapping[str, Any] | None = None
) -> ProcessGroupLayout:
    """Read the layout from the environment.

    - torchrun, and a Kubeflow TrainJob (which launches torchrun), set RANK, WORLD_SIZE, LOCAL_RANK,
      MASTER_ADDR and MASTER_PORT.
    - SageMaker multi-instance (hosts from SM_HOSTS/SM_CURRENT_HOST, else resourceconfig.json): one
      process per host; MASTER_ADDR is the first host in sorted order, RANK the current host's position,
      so every host derives the same layout without talking to the others.
    - Otherwise a single process.
    """
    if "RANK" in environ and "WORLD_SIZE" in environ:
        try:
            rank, world_size = int(environ["RANK"]), int(environ["WORLD_SIZE"])
            local_rank = int(environ.get("LOCAL_RANK", "0"))
            port = int(environ.get("MASTER_PORT", DEFAULT_MASTER_PORT))
        except ValueError as error:
            raise DistributedSetupError(
                f"RANK, WORLD_SIZE, LOCAL_RANK and MASTER_PORT must be integers: {error}"
            ) from None
        if not 0 <= rank < world_size:
            raise DistributedSetupError(f"RANK={rank} must lie in [0, WORLD_SIZE={world_size})")
        if world_size > 1 and not environ.get("MASTER_ADDR"):
            raise DistributedSetupError(f"WORLD_SIZE={world_size} but MASTER_ADDR is not set")
        return ProcessGroupLayout(rank, world_size, local_rank, environ.get("MASTER_ADDR"), port, None)
    resource_config = resource_config or {}
    hosts = json.loads(environ["SM_HOSTS"]) if "SM_HOSTS" in environ else resource_config.get("hosts", [])
    if len(hosts) <= 1:
        return ProcessGroupLayout(0, 1, 0, None, None, None)
    current_host = environ.get("SM_CURRENT_HOST", resource_config.get("current_host"))
    ordered = sorted(hosts)
    if current_host not in ordered:
        raise DistributedSetupError(f"SM_CURRENT_HOST={current_host!r} is not among SM_HOSTS={hosts}")
    return ProcessGroupLayout(
        rank=ordered.index(current_host),
        world_size=len(ordered),
        local_rank=0,
        master_addr=ordered[0],
        master_port=int(environ.get("MASTER_PORT", DEFAULT_MASTER_PORT)),
        socket_interface=environ.get(
            "SM_NETWORK_INTERFACE_NAME", resource_config.get("network_interface_name")
        ),
    )


def _sagemaker_resource_config(environ: Mapping[str, str]) -> dict[str, Any] | None:
    path = Path(environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config")) / "resourceconfig.json"
    return json.loads(path.read_text()) if path.is_file() else None


@dataclasses.dataclass(frozen=True)
class DistributedContext:
    """This process's place in the run and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: Any
    backend: str | None
    """gloo (CPU) or nccl (GPU) when world_size > 1, else None."""

    @property
    def is_main(self) -> bool:
        """Rank 0, the only process that writes the model dir."""
        return self.rank == 0

    def share_from_main(self, value: Any) -> Any:
        """Rank 0's `value` on every rank (a synchronisation point for all of them)."""
        if self.world_size == 1:
            return value
        import torch.distributed as dist

        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return holder[0]


def start_distributed(use_cuda: bool) -> DistributedContext:
    """Join the process group the environment describes (nothing to join for a single process)."""
    import torch
    import torch.distributed as dist

    layout = process_group_layout(os.environ, _sagemaker_resource_config(os.environ))
    if use_cuda:
        torch.cuda.set_device(layout.local_rank)
        device = torch.device("cuda", layout.local_rank)
    else:
        device = torch.device("cpu")
    backend = None
    if layout.world_size > 1:
        backend = "nccl" if use_cuda else "gloo"
        if layout.socket_interface:
            for name in SOCKET_INTERFACE_VARIABLES:
                # gloo and NCCL read these from the environment only.
                os.environ.setdefault(name, layout.socket_interface)
        dist.init_process_group(
            backend,
            init_method=f"tcp://{layout.master_addr}:{layout.master_port}",
            rank=layout.rank,
            world_size=layout.world_size,
            device_id=device if use_cuda else None,
        )
    return DistributedContext(
        rank=layout.rank,
        world_size=layout.world_size,
        local_rank=layout.local_rank,
        device=device,
        backend=backend,
    )


def stop_distributed(context: DistributedContext, wait_for_all: bool = True) -> None:
    """Wait for every rank (unless this one failed: the others may never arrive), then leave the group."""
    import torch.distributed as dist

    if context.world_size > 1 and dist.is_initialized():
        if wait_for_all:
            dist.barrier()
        dist.destroy_process_group()
