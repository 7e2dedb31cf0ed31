"""HTTP webhook / REST destination (httpx).

Wire format (one POST per batch)::

    {"sync": NAME, "batch_id": KEY, "records": [{"op": "upsert"|"insert"|"delete", "key": K, "data": {...}}]}

Headers: ``X-CJO-Signature: sha256=<hex HMAC-SHA256 of the body with the secret from env>``,
``Idempotency-Key: <batch content hash>`` (a re-sent batch after a crash carries the same key, so the
receiver can drop the duplicate), ``X-CJO-Timestamp``.

Answer: any 2xx acknowledges the batch, except the records listed in the body as
``{"errors": [{"key": K, "status": 4xx, "reason": "..."}]}``, which are rejected (kept by the engine
with the reason and retried on the next run). 429, 5xx, timeouts and connection resets are retried
(tenacity) with exponential backoff and full jitter, honouring ``Retry-After``; a 4xx without per-record errors rejects
the whole batch (400/409/413/422) or fails the run (401/403/404: configuration, not data).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from orchestration.activation.destinations.base import BatchResult, Destination, DestinationError, Record
from orchestration.activation.spec import SyncSpec, WebhookDestination, resolve_secret

SIGNATURE_HEADER = "X-CJO-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
_FATAL_STATUSES = {401, 403, 404, 405}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse Retry-After: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class RetryableFailure(Exception):
    """An attempt worth repeating (429, 5xx, timeout, connection reset), with the server's Retry-After."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


def retry_wait(base: float, cap: float) -> Callable[[RetryCallState], float]:
    """tenacity wait strategy: the server's ``Retry-After`` when it sent one, otherwise exponential backoff
    with full jitter, uniform(0, min(cap, base * 2^n)), so many workers do not retry in lockstep. Both
    are capped, so one bad header cannot stall a run."""
    jitter = wait_random_exponential(multiplier=base, max=cap)

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        after = getattr(failure, "retry_after", None)
        return min(after, cap) if after is not None else jitter(state)

    return wait


class RateLimiter:
    """At most ``rate`` requests per second for one destination (simple spacing, monotonic clock)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if now < self.next_at:
            time.sleep(self.next_at - now)
            # From when the request really goes out: a late wake-up must not shorten the next gap.
            now = max(self.clock(), self.next_at)
        self.next_at = now + self.interval


class HttpBatchSender:
    """POST signed JSON with retries; shared by the webhook and the ad-platform HTTP sink."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        secret: str,
        timeout_s: float,
        max_retries: int,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        rate_limit: float | None = None,
    ):
        self.name, self.url, self.secret = name, url, secret
        self.max_retries, self.base, self.cap = max_retries, backoff_base_s, backoff_max_s
        self.limiter = RateLimiter(rate_limit)
        self.client = httpx.Client(timeout=timeout_s, http2=False)

    def post(self, body: bytes, batch_key: str) -> httpx.Response:
        """The final response (2xx or non-retryable 4xx). Raises DestinationError after retries."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=retry_wait(self.base, self.cap),
            retry=retry_if_exception_type(RetryableFailure),
        )
        try:
            return retrying(self._attempt, body, batch_key)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise DestinationError(
                f"sync {self.name}: {self.url} failed after {self.max_retries + 1} attempts: {last}"
            ) from None

    def _attempt(self, body: bytes, batch_key: str) -> httpx.Response:
        self.limiter.wait()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            IDEMPOTENCY_HEADER: batch_key,
            "X-CJO-Timestamp": str(int(time.time())),
        }
        try:
            resp = self.client.post(self.url, content=body, headers=headers)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise RetryableFailure(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code in _RETRY_STATUSES or resp.status_code >= 500:
            raise RetryableFailure(f"HTTP {resp.status_code}: {resp.text[:200]}",
                                   retry_after_seconds(resp.headers.get("Retry-After")))
        return resp

    def close(self) -> None:
        self.client.close()


def parse_record_errors(resp: httpx.Response) -> dict[str, str]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    errors = body.get("errors") if isinstance(body, dict) else None
    out: dict[str, str] = {}
    for err in errors or []:
        if isinstance(err, dict) and "key" in err:
            out[str(err["key"])] = f"HTTP {err.get('status', resp.status_code)}: {err.get('reason', '')}"
    return out


def interpret(resp: httpx.Response, keys: list[str], name: str) -> BatchResult:
    errors = parse_record_errors(resp)
    if resp.status_code in _FATAL_STATUSES:
        raise DestinationError(f"sync {name}: HTTP {resp.status_code} from destination: {resp.text[:200]}")
    if resp.status_code >= 400 and not errors:
        reason = f"HTTP {resp.status_code}: {resp.text[:200]}"
        return BatchResult(rejected=dict.fromkeys(keys, reason))
    rejected = {k: v for k, v in errors.items() if k in set(keys)}
    return BatchResult(acked=[k for k in keys if k not in rejected], rejected=rejected)


class WebhookSink(Destination):
    def __init__(self, spec: SyncSpec):
        cfg = spec.destination
        assert isinstance(cfg, WebhookDestination)
        self.spec = spec
        url = cfg.url or resolve_secret(cfg.url_env or "", f"sync {spec.name}")
        self.sender = HttpBatchSender(
            name=spec.name,
            url=url,
            secret=resolve_secret(cfg.secret_env, f"sync {spec.name}"),
            timeout_s=cfg.timeout_s,
            max_retries=cfg.max_retries,
            backoff_base_s=cfg.backoff_base_s,
            backoff_max_s=cfg.backoff_max_s,
            rate_limit=spec.rate_limit,
        )

    def send(self, records: list[Record], batch_key: str) -> BatchResult:
        body = json.dumps(
            {
                "sync": self.spec.name,
                "batch_id": batch_key,
                "records": [{"op": r.op, "key": r.key, "data": r.data} for r in records],
            },
            separators=(",", ":"),
        ).encode()
        resp = self.sender.post(body, batch_key)
        return interpret(resp, [r.key for r in records], self.spec.name)

    def close(self) -> None:
        self.sender.close()
