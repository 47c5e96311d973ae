"""The one way support posts to a webhook receiver (a partner endpoint, a Discord webhook).

- Timeouts on connect and read; no redirects followed; only the first WEBHOOK_RESPONSE_BODY_LIMIT
  bytes of an answer are read and kept.
- Unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (the demo and the tests), the URL must be https and the
  name must resolve only to public addresses; the request then goes to the address that was
  checked (the name stays in the Host header and TLS's SNI and certificate check), so a DNS
  answer that changes between the check and the connection cannot point it inside.
- The outcome is a `Response` or a `DeliveryError` saying whether trying again can help.
"""

import ipaddress
import socket
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.utils import timezone

USER_AGENT = "NodeByte-Webhooks/1.0"


class DeliveryError(Exception):
    """The request could not be made or answered. `retryable`: a network error, worth another try."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class AddressRefused(DeliveryError):
    def __init__(self, message: str):
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class Response:
    status_code: int
    body: str
    retry_after_seconds: float | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        return self.status_code in (408, 429) or self.status_code >= 500


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local)


def checked_address(url: str) -> tuple[str, int]:
    """The public address the URL's host resolves to (every address it resolves to must be public)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise AddressRefused("Webhook URLs must use https.")
    if not parts.hostname:
        raise AddressRefused("The webhook URL has no host.")
    port = parts.port or 443
    try:
        answers = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeliveryError(f"{parts.hostname} does not resolve: {exc}", retryable=True) from exc
    addresses = [answer[4][0] for answer in answers]
    refused = [a for a in addresses if not _is_public(a)]
    if refused or not addresses:
        raise AddressRefused(
            f"{parts.hostname} resolves to a private, loopback or link-local address ({', '.join(refused)}); "
            "webhooks are only sent to public addresses."
        )
    return addresses[0], port


def validate_url(url: str) -> None:
    """Refuse a URL a webhook may never be sent to (raises AddressRefused or DeliveryError)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        if urlsplit(url).scheme not in ("http", "https"):
            raise AddressRefused("Webhook URLs use http or https.")
        return
    checked_address(url)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - timezone.now()).total_seconds(), 0.0)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `url`; raises DeliveryError when no answer came back."""
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, **headers}
    extensions = {}
    target = url
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        address, port = checked_address(url)
        parts = urlsplit(url)
        host = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
        headers["host"] = parts.netloc.rsplit("@", 1)[-1]
        extensions["sni_hostname"] = parts.hostname
    limit = settings.WEBHOOK_RESPONSE_BODY_LIMIT
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=min(5.0, settings.WEBHOOK_TIMEOUT_SECONDS))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", target, content=body, headers=headers, extensions=extensions)
            answer = client.send(request, stream=True)
            try:
                kept = b""
                for chunk in answer.iter_bytes():
                    kept += chunk
                    if len(kept) >= limit:
                        break
            finally:
                answer.close()
            return Response(
                status_code=answer.status_code,
                body=kept[:limit].decode("utf-8", errors="replace"),
                retry_after_seconds=_retry_after(answer.headers.get("retry-after")),
            )
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s.", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
