"""OAuth 1.0a signing (RFC 5849 vectors, through oauthlib which signs for us) and the choice between Basic and OAuth."""

from __future__ import annotations

import httpx

from sovereign_testkit.fake_woo_php import wc_oauth_signature
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as rfc5849

from sovereign.woo.auth import OAuth1, choose_auth


def signature_base_string(method: str, url: httpx.URL, params: list[tuple[str, str]]) -> str:
    normalized = rfc5849.normalize_parameters(params)
    return rfc5849.signature_base_string(method.upper(), rfc5849.base_string_uri(str(url)), normalized)


def base_string_uri(url: httpx.URL) -> str:
    return rfc5849.base_string_uri(str(url))


def sign(base: str, consumer_secret: str, token_secret: str, method: str) -> str:
    assert method == "HMAC-SHA1"
    client = Client("key", client_secret=consumer_secret, resource_owner_secret=token_secret)
    return rfc5849.sign_hmac_sha1_with_client(base, client)


def test_oauth_core_appendix_example_signature() -> None:
    # OAuth Core 1.0 appendix A.5 (photos.example.net), the classic HMAC-SHA1 vector.
    url = httpx.URL("http://photos.example.net/photos?file=vacation.jpg&size=original")
    params = [
        *url.params.multi_items(),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1191242096"),
        ("oauth_nonce", "kllo9940pd9333jh"),
        ("oauth_version", "1.0"),
    ]
    base = signature_base_string("GET", url, params)
    assert base == (
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
        "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
        "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
    )
    assert sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "HMAC-SHA1") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="


def test_rfc5849_base_string_example() -> None:
    # RFC 5849 section 3.4.1.1: query, form body and oauth parameters, with repeated names and encodings.
    url = httpx.URL("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
    params = [
        *url.params.multi_items(),
        ("c2", ""),
        ("a3", "2 q"),
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
    ]
    assert signature_base_string("post", url, params) == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
        "%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1"
        "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_base_string_uri_normalisation() -> None:
    assert base_string_uri(httpx.URL("HTTP://Example.COM:80/r%20v/X?id=123")) == "http://example.com/r%20v/X"
    assert base_string_uri(httpx.URL("https://www.example.net:8080/?q=1")) == "https://www.example.net:8080/"


def test_signed_url_matches_woocommerces_own_computation() -> None:
    signer = OAuth1("ck_abc", "cs_secret", clock=lambda: 1_790_000_000.0, nonce=lambda: "n0nce")
    url = signer.sign_url("GET", httpx.URL("http://127.0.0.1:8080/wp-json/wc/v3/orders?search=a b/é&per_page=100"))
    query = dict(url.params.multi_items())
    assert query["oauth_timestamp"] == "1790000000" and query["oauth_nonce"] == "n0nce"
    assert query["oauth_signature_method"] == "HMAC-SHA256" and query["search"] == "a b/é"
    rest = {k: v for k, v in query.items() if k != "oauth_signature"}
    expected = wc_oauth_signature("GET", "http://127.0.0.1:8080/wp-json/wc/v3/orders", rest, "cs_secret")
    assert query["oauth_signature"] == expected


def test_every_send_gets_a_fresh_nonce_and_old_oauth_params_are_replaced() -> None:
    signer = OAuth1("ck_abc", "cs_secret")
    first = signer.sign_url("GET", httpx.URL("http://shop.test/wp-json/wc/v3/orders?page=2"))
    second = signer.sign_url("GET", first)  # e.g. a URL taken from a Link header
    assert first.params["oauth_nonce"] != second.params["oauth_nonce"]
    assert len(second.params.get_list("oauth_signature")) == 1 and second.params["page"] == "2"


def test_scheme_picks_the_auth_and_nothing_shows_the_secret() -> None:
    assert isinstance(choose_auth("https://shop.test", "ck_1234567", "cs_topsecret"), httpx.BasicAuth)
    oauth = choose_auth("http://shop.test", "ck_1234567", "cs_topsecret")
    assert isinstance(oauth, OAuth1)
    assert isinstance(choose_auth("http://shop.test", "ck", "cs", "basic"), httpx.BasicAuth)
    assert isinstance(choose_auth("https://shop.test", "ck", "cs", "oauth1", signature_method="HMAC-SHA1"), OAuth1)
    assert "cs_topsecret" not in repr(oauth) and "ck_1234567" not in repr(oauth)
