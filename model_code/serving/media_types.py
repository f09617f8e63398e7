"""Content negotiation: which body format a request carries (Content-Type) and which it wants back (Accept)."""

from __future__ import annotations

from .errors import ErrorCode, RequestError

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
SUPPORTED = (JSON, CSV, NPY)

# Wildcards in Accept resolve to the one format we prefer within their range.
_WILDCARDS = {"*/*": JSON, "application/*": JSON, "text/*": CSV}
# Clients send the same few header values over and over; parsing them once keeps the hot path short.
# Bounded so that a client cycling through random values cannot grow memory.
_CACHE_LIMIT = 256
_request_cache: dict[bytes, str] = {}
_response_cache: dict[bytes, str] = {}


def request_media_type(content_type: bytes | None) -> str:
    """The supported media type named by a Content-Type header; JSON when the header is absent."""
    if not content_type:
        return JSON
    cached = _request_cache.get(content_type)
    if cached is not None:
        return cached
    media = content_type.split(b";", 1)[0].strip().lower().decode("latin-1")
    if media not in SUPPORTED:
        raise RequestError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type {media!r} is not supported; send one of {', '.join(SUPPORTED)}",
        )
    if len(_request_cache) < _CACHE_LIMIT:
        _request_cache[content_type] = media
    return media


def response_media_type(accept: bytes | None) -> str:
    """The supported media type an Accept header prefers (q-values honoured); JSON when absent."""
    if not accept:
        return JSON
    cached = _response_cache.get(accept)
    if cached is not None:
        return cached
    media = _negotiate(accept.decode("latin-1"))
    if media is None:
        raise RequestError(
            ErrorCode.NOT_ACCEPTABLE,
            f"Accept {accept.decode('latin-1')!r} matches no supported type; accept one of {', '.join(SUPPORTED)}",
        )
    if len(_response_cache) < _CACHE_LIMIT:
        _response_cache[accept] = media
    return media


def _negotiate(accept: str) -> str | None:
    candidates: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        media, _, params = item.partition(";")
        quality = _quality(params)
        if quality > 0:
            # Sort key: highest q first, then the order the client listed them in.
            candidates.append((-quality, position, media.strip().lower()))
    for _, _, media in sorted(candidates):
        if media in SUPPORTED:
            return media
        if media in _WILDCARDS:
            return _WILDCARDS[media]
    return None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
