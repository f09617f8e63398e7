"""GPU plumbing on every GPU node: NVIDIA's device plugin and DCGM exporter DaemonSets, each behind a NetworkPolicy."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from modelyard.components.training_cluster.network_policies import workload_network_policy
from modelyard.components.training_cluster.node_groups import GPU_NODE_LABEL, GPU_TAINT_KEY

# Pinned by digest, so a re-pushed tag cannot change what runs on the nodes: the images NVIDIA's GPU Operator
# v25.3.1 ships (relatedImages of its bundle, NVIDIA/gpu-operator
# bundle/v25.3.1/manifests/gpu-operator-certified.clusterserviceversion.yaml).
DEVICE_PLUGIN_IMAGE = (
    "nvcr.io/nvidia/k8s-device-plugin@sha256:037160a36de0f060fc21cc0cb2f795d980282ff1471b55530433ca4350b24c4f"
)
DCGM_EXPORTER_IMAGE = (
    "nvcr.io/nvidia/k8s/dcgm-exporter@sha256:6c78381d83e2ccd84e9645d35d8768d98a52b73c75d1bb9395b5f030ce9bd3a4"
)
DCGM_EXPORTER_PORT = 9400
DCGM_COUNTERS_FILE = "device-counters.csv"
# dcgm-exporter's counters-file format (field, Prometheus type, help). Device counters only: GPU utilization feeds
# the training dashboard (components/monitoring.py); none is a profiling (DCGM_FI_PROF_*) field.
DCGM_DEVICE_COUNTERS = """\
DCGM_FI_DEV_GPU_UTIL, gauge, GPU utilization (in %).
DCGM_FI_DEV_MEM_COPY_UTIL, gauge, Memory utilization (in %).
DCGM_FI_DEV_FB_USED, gauge, Framebuffer memory used (in MiB).
DCGM_FI_DEV_FB_FREE, gauge, Framebuffer memory free (in MiB).
DCGM_FI_DEV_GPU_TEMP, gauge, GPU temperature (in C).
DCGM_FI_DEV_POWER_USAGE, gauge, Power draw (in W).
DCGM_FI_DEV_XID_ERRORS, gauge, Value of the last XID error encountered.
"""


def create_gpu_daemons(name: str, provider: k8s.Provider, parent: pulumi.Resource) -> None:
    """The device plugin (advertises nvidia.com/gpu to the scheduler) and the DCGM exporter (GPU metrics)."""
    _device_plugin(name, provider, parent)
    _dcgm_exporter(name, provider, parent)


def _gpu_daemon_set(
    name: str,
    role: str,
    app: str,
    container: k8s.core.v1.ContainerArgs,
    volumes: list[k8s.core.v1.VolumeArgs],
    ingress_ports: Sequence[int],
    provider: k8s.Provider,
    parent: pulumi.Resource,
) -> k8s.apps.v1.DaemonSet:
    """A DaemonSet in kube-system on the GPU nodes only, behind a NetworkPolicy admitting `ingress_ports`."""
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": "modelyard"}
    # Both daemons talk to the kubelet through host sockets, not the network: no egress.
    workload_network_policy(
        f"{name}-{role}-network-policy",
        k8s.meta.v1.ObjectMetaArgs(name=app, namespace="kube-system", labels=labels),
        labels,
        ingress_ports,
        egress=[],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    return k8s.apps.v1.DaemonSet(
        f"{name}-{role}",
        k8s.apps.v1.DaemonSetInitArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace="kube-system", labels=labels),
            spec=k8s.apps.v1.DaemonSetSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        # Neither daemon calls the Kubernetes API (they talk to the kubelet's sockets on the
                        # host), so no service-account token is mounted.
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")
                        ),
                        priority_class_name="system-node-critical",
                        node_selector={GPU_NODE_LABEL: "true"},
                        tolerations=[
                            k8s.core.v1.TolerationArgs(
                                key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule"
                            ),
                            k8s.core.v1.TolerationArgs(key="CriticalAddonsOnly", operator="Exists"),
                        ],
                        containers=[container],
                        volumes=volumes,
                    ),
                ),
            ),
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def _device_plugin(name: str, provider: k8s.Provider, parent: pulumi.Resource) -> None:
    _gpu_daemon_set(
        name,
        "device-plugin",
        "nvidia-device-plugin",
        k8s.core.v1.ContainerArgs(
            name="nvidia-device-plugin",
            image=DEVICE_PLUGIN_IMAGE,
            security_context=k8s.core.v1.SecurityContextArgs(
                allow_privilege_escalation=False, capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "200m", "memory": "256Mi"}
            ),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(
                    name="device-plugin", mount_path="/var/lib/kubelet/device-plugins"
                )
            ],
        ),
        [
            k8s.core.v1.VolumeArgs(
                name="device-plugin",
                host_path=k8s.core.v1.HostPathVolumeSourceArgs(
                    path="/var/lib/kubelet/device-plugins", type="Directory"
                ),
            )
        ],
        # The device plugin serves the kubelet over a host socket: no port to admit.
        ingress_ports=(),
        provider=provider,
        parent=parent,
    )


def _dcgm_exporter(name: str, provider: k8s.Provider, parent: pulumi.Resource) -> None:
    counters = k8s.core.v1.ConfigMap(
        f"{name}-dcgm-exporter-counters",
        k8s.core.v1.ConfigMapInitArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(name="dcgm-exporter-counters", namespace="kube-system"),
            data={DCGM_COUNTERS_FILE: DCGM_DEVICE_COUNTERS},
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    daemon_set = _gpu_daemon_set(
        name,
        "dcgm-exporter",
        "dcgm-exporter",
        k8s.core.v1.ContainerArgs(
            name="dcgm-exporter",
            image=DCGM_EXPORTER_IMAGE,
            args=["-f", f"/etc/dcgm-exporter/modelyard/{DCGM_COUNTERS_FILE}"],
            env=[
                k8s.core.v1.EnvVarArgs(name="DCGM_EXPORTER_KUBERNETES", value="true"),
                k8s.core.v1.EnvVarArgs(name="DCGM_EXPORTER_LISTEN", value=f":{DCGM_EXPORTER_PORT}"),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=DCGM_EXPORTER_PORT)],
            # Root to open the GPU devices through DCGM. No SYS_ADMIN: only profiling (DCP) counters need it,
            # since the driver keeps performance counters to admins (developer.nvidia.com/ERR_NVGPUCTRPERM), and
            # the counters file below asks for device counters only.
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_user=0,
                run_as_non_root=False,
                allow_privilege_escalation=False,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            ),
            # dcgm-exporter answers /health on its metrics port
            # (NVIDIA/dcgm-exporter deployment/templates/daemonset.yaml probes it the same way).
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=DCGM_EXPORTER_PORT),
                initial_delay_seconds=45,
                period_seconds=5,
            ),
            readiness_probe=k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=DCGM_EXPORTER_PORT),
                initial_delay_seconds=45,
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "1Gi"}
            ),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(
                    name="pod-resources", mount_path="/var/lib/kubelet/pod-resources", read_only=True
                ),
                k8s.core.v1.VolumeMountArgs(
                    name="counters", mount_path="/etc/dcgm-exporter/modelyard", read_only=True
                ),
            ],
        ),
        [
            k8s.core.v1.VolumeArgs(
                name="pod-resources",
                host_path=k8s.core.v1.HostPathVolumeSourceArgs(
                    path="/var/lib/kubelet/pod-resources", type="Directory"
                ),
            ),
            k8s.core.v1.VolumeArgs(
                name="counters",
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=counters.metadata.name),
            ),
        ],
        ingress_ports=(DCGM_EXPORTER_PORT,),
        provider=provider,
        parent=parent,
    )
    k8s.core.v1.Service(
        f"{name}-dcgm-exporter-service",
        k8s.core.v1.ServiceInitArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="dcgm-exporter",
                namespace="kube-system",
                labels={"app.kubernetes.io/name": "dcgm-exporter"},
                # Lets a Prometheus scraper (e.g. the CloudWatch agent) find the GPU metrics.
                annotations={
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": str(DCGM_EXPORTER_PORT),
                },
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector={"app.kubernetes.io/name": "dcgm-exporter"},
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="metrics", port=DCGM_EXPORTER_PORT, target_port="metrics"
                    )
                ],
            ),
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[daemon_set]),
    )
