"""An httpx transport that sends over aiohttp's connection pool.

httpcore's pool checks every pooled connection on every request and every response (a `getpeername`
and a readability poll per connection, through anyio), so a request costs more the more connections
are open: at a few hundred Talkturo calls a second that scan took over half of the bot's CPU. aiohttp
keeps idle connections per host in a queue and takes one in constant time. `TalkturoClient` stays an
httpx client (its requests, errors and retries are unchanged); only the wire underneath differs.
"""

from __future__ import annotations

import ssl
from typing import Final
from urllib.request import getproxies, proxy_bypass

import aiohttp
import httpx

# Headers aiohttp writes itself from the body and the URL.
_HOP_BY_HOP: Final = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Owns one aiohttp session, made in the running loop on first use and closed by `aclose`."""

    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 30.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        # httpx's own TLS settings (certifi, SSL_CERT_FILE/SSL_CERT_DIR), so HTTPS trusts the same CAs.
        self._ssl: ssl.SSLContext = httpx.create_ssl_context()
        # Proxies from the environment, read once as httpx does. (aiohttp's trust_env would instead read
        # ~/.netrc in a worker thread on every request.)
        proxies = getproxies()
        self._proxies: dict[str, str] = {
            scheme: proxies[scheme] for scheme in ("http", "https", "all") if scheme in proxies
        }

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=0,
                keepalive_timeout=self._keepalive_expiry,
                ssl=self._ssl,
            )
            # Bodies stay as sent: httpx decodes them.
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        connect = timeouts.get("connect")
        pool = timeouts.get("pool")
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` covers the wait for a pooled connection and the connect itself.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=timeouts.get("read"),
        )
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        body = await request.aread()
        proxy = None
        if self._proxies and not proxy_bypass(request.url.host):
            proxy = self._proxies.get(request.url.scheme) or self._proxies.get("all")
        try:
            async with self._open().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy,
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Accept"),
            ) as response:
                content = await response.read()
                return httpx.Response(
                    status_code=response.status,
                    headers=list(response.raw_headers),
                    content=content,
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except aiohttp.ConnectionTimeoutError as error:
            raise httpx.ConnectTimeout(str(error) or "connect timed out", request=request) from error
        except (TimeoutError, aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError) as error:
            raise httpx.ReadTimeout(str(error) or "read timed out", request=request) from error
        except aiohttp.InvalidURL as error:
            raise httpx.UnsupportedProtocol(str(error), request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientPayloadError,
            aiohttp.ClientResponseError,
        ) as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from error
        except (aiohttp.ClientError, OSError) as error:
            raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
