"""Listening sockets shared by port: each worker binds its own with SO_REUSEPORT and the kernel spreads
connections across them (measured: fewer p99 spikes than one accept socket inherited by every worker).
Only this server's workers may join: the supervisor first claims the port, refusing one another process holds."""

from __future__ import annotations

import errno
import ipaddress
import socket

BACKLOG = 2048


class PortUnavailableError(Exception):
    """host:port cannot be bound (held by another process, not an address of this host, privileged...)."""


def _new_socket(host: str, *, reuse_address: bool, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if reuse_address:  # binds over our own earlier connections still in TIME_WAIT
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def _bind(sock: socket.socket, host: str, port: int) -> None:
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        hint = (
            " by another process; stop it or pick another --port" if error.errno == errno.EADDRINUSE else ""
        )
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise PortUnavailableError(
            f"cannot listen on {address}: {(error.strerror or str(error)).lower()}{hint}"
        ) from None


def reserve_port(host: str, port: int) -> socket.socket:
    """Claim host:port for this server's workers alone (port 0: a free one), or raise PortUnavailableError.

    Linux lets any socket with SO_REUSEPORT (same user) join a port whose sockets all have it, so a second
    server would silently take a share of the first one's connections (socket(7)). A probe bound without
    SO_REUSEPORT fails if any socket holds the port. The reservation that follows has SO_REUSEPORT, so our
    workers can join it, but not SO_REUSEADDR, so another server's probe fails against it even before our
    workers listen (Linux lets two SO_REUSEADDR sockets share a port while neither listens). Only a server
    starting within the microseconds between our probe's close and our reservation's bind could slip in.
    Bound but not listening, the reservation never receives connections itself."""
    probe = _new_socket(host, reuse_address=True, reuse_port=False)
    _bind(probe, host, port)
    port = probe.getsockname()[1]
    probe.close()
    reservation = _new_socket(host, reuse_address=False, reuse_port=True)
    _bind(reservation, host, port)
    return reservation


def open_listener(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket on host:port that joins the port's SO_REUSEPORT group."""
    sock = _new_socket(host, reuse_address=True, reuse_port=True)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
