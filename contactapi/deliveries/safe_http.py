"""Outbound HTTP that a webhook URL cannot turn against us or our network: https only (http when allowed),
only globally reachable unicast addresses (no loopback, private, shared, link-local, multicast or reserved one;
checked on the resolved addresses AND on the address actually connected to, against DNS rebinding), no
redirects followed, one deadline for the whole call, and at most a few KiB of the answer read.

The standard library's http.client is used because it lets us connect the socket ourselves (to the
checked address, with TLS verified against the URL's host name); requests/urllib3 re-resolve the name."""
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import deadlines

TIMEOUT = 10  # seconds for the whole call
READ_LIMIT = 4096  # bytes of the answer kept


class UnsafeTarget(ValueError):
    """The URL may not be called (scheme, host, or where it resolves to); retrying cannot help."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: a NAT64 gateway reaches the IPv4 inside


def _reached(ip):
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo's client, NAT64), else the address itself."""
    if ip.version == 4:
        return ip
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None) or ip


def _forbidden(address):
    """Anything but a globally reachable unicast address: not only loopback, private, link-local and reserved
    ranges, but also the shared address space (100.64.0.0/10: carrier NAT, and overlay networks such as
    Tailscale's), documentation and benchmarking ranges, and an IPv6 address standing for one of them."""
    ip = _reached(ipaddress.ip_address(address.split("%", 1)[0]))
    return not ip.is_global or ip.is_multicast


def check_url(url, allow_http=False, allow_private=False):
    """The URL's parts when it may be called, else UnsafeTarget (no network access: names resolve later)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("url is not a valid URL") from None
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget("url must start with https://" + (" or http://" if allow_http else ""))
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeTarget("url needs a host name and no user name or password")
    host = parts.hostname
    if not allow_private:
        try:
            literal = _forbidden(host)
        except ValueError:  # a name, checked when it resolves
            literal = host == "localhost" or host.endswith(".localhost")
        if literal:
            raise UnsafeTarget("url may not point at a loopback, private or reserved address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _connect(target, allow_private, deadline):
    """A socket connected to a checked address of the target's host."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {target.host}: {error}") from None
    addresses = [info[4] for info in infos]
    if not allow_private and any(_forbidden(address[0]) for address in addresses):
        raise UnsafeTarget(f"{target.host} resolves to a loopback, private or reserved address")
    last_error = OSError(f"cannot connect to {target.host}")
    for family, _type, _proto, _name, address in infos:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        if not allow_private and _forbidden(sock.getpeername()[0]):
            sock.close()
            raise UnsafeTarget(f"{target.host} connected to a loopback, private or reserved address")
        return sock
    raise last_error


def _hang_up(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)  # ends a blocked read or write at the deadline
    except OSError:
        pass


def post(url, body, headers, allow_http=False, allow_private=False, timeout=TIMEOUT, limit=READ_LIMIT):
    """POST body to url; the Answer (any status, never following a redirect). UnsafeTarget if it may not be
    called; OSError or http.client.HTTPException when the network or the server failed us."""
    target = check_url(url, allow_http, allow_private)
    deadline = time.monotonic() + timeout
    sock = _connect(target, allow_private, deadline)
    current = [sock]  # the socket to hang up: the TLS one once wrapped (wrapping detaches the plain one)
    try:
        with deadlines.deadline(max(0.0, deadline - time.monotonic()), lambda: _hang_up(current[0])):
            if target.scheme == "https":
                sock = current[0] = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
                connection = http.client.HTTPSConnection(target.host, target.port)
            else:
                connection = http.client.HTTPConnection(target.host, target.port)
            connection.sock = sock
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, response.read(limit))
    finally:
        current[0].close()
