"""Every way a store can fail to answer names its real cause; a self-signed store can be trusted."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trustme

from sovereign.woo.client import WooClient
from sovereign.woo.errors import ServerError, TransportError, describe
from sovereign.woo.tls import TlsConfigError, verify_for
from sovereign_testkit.fake_woo import FakeWooStore
from tests.woo.conftest import FAST_RETRY


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    for i, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(str(paths["cert"]), append=i > 0)
    return {k: str(v) for k, v in paths.items()}


async def _orders(store: FakeWooStore, **kw: object) -> int:
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=FAST_RETRY, timeout=5.0, **kw) as woo:
        return len([o async for o in woo.list_orders()])


async def test_a_self_signed_store_fails_naming_the_certificate_and_works_with_its_ca(pki: dict[str, str]) -> None:
    async with FakeWooStore(ssl_certfile=pki["cert"], ssl_keyfile=pki["key"]) as store:
        assert store.url.startswith("https://")
        with pytest.raises(TransportError) as err:
            await _orders(store)
        assert err.value.cause == "certificate"
        text = describe(err.value)
        assert "certificate verify failed" in text and "--ca-file" in text
        assert len([r for r in store.requests]) == 0  # the handshake failed: no request reached the store
        assert await _orders(store, verify=verify_for(pki["ca"])) == 44
        assert await _orders(store, verify=verify_for(None, global_bundle=pki["ca"])) == 44
        assert await _orders(store, verify=verify_for(None, insecure=True)) == 44


def test_a_ca_bundle_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError, match="does not exist"):
        verify_for(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(TlsConfigError, match="no PEM certificate"):
        verify_for(junk)


async def test_dns_refused_timeout_and_http_status_are_told_apart() -> None:
    async with WooClient("http://no-such-host.invalid", "ck_x", "cs_x", retry=FAST_RETRY, timeout=5.0) as woo:
        with pytest.raises(TransportError) as err:
            await woo.get("orders")
        assert err.value.cause == "dns" and "DNS" in describe(err.value)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with WooClient(f"http://127.0.0.1:{port}", "ck_x", "cs_x", retry=FAST_RETRY, timeout=5.0) as woo:
        with pytest.raises(TransportError) as err:
            await woo.get("orders")
        assert err.value.cause == "refused" and "connection refused" in describe(err.value)
    async with FakeWooStore() as store:
        store.inject_fault(None, delay=2.0, count=10)
        async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=FAST_RETRY, timeout=0.3) as woo:
            with pytest.raises(TransportError) as err:
                await woo.get("orders")
            assert err.value.cause == "timeout" and err.value.timeout and "timeout" in describe(err.value)
        store._faults.clear()
        store.inject_fault(503, count=10)
        async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=FAST_RETRY, timeout=5.0) as woo:
            with pytest.raises(ServerError) as http:
                await woo.get("orders")
            assert describe(http.value).startswith("HTTP 503")
