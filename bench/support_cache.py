"""The support answer cache: 1,000 shopper questions from 50 intents, replayed through POST /v1/support/answer.

Questions are generated here, seeded: each of 50 intents has three paraphrases
(different wordings of one question); each asked question takes one of them
and a surface variation a shopper would type (greeting, lead-in, thanks,
lower case, punctuation, synonyms, an occasional typo). Intents are drawn with
a Zipf-like popularity (s = 0.8): shipping times are asked more than
wholesale prices. Every question carries its intent label.

The real app (auth, store lookup, normalisation, the local MiniLM embedding,
the pgvector cache on a fresh embedded PostgreSQL, retrieval from the store's
ingested policy pages) is called in-process over ``httpx.ASGITransport``, one
question at a time. Misses go to a fake, instant LLM upstream (FakeLLM on
127.0.0.1, answering like the model does when the pages do not cover a
question): the bench measures the cache, not the model.

* ``hit_ratio``: questions served from the cache (exact normalised repeats and
  paraphrases at least ``cache_min_similarity`` close) / questions.
* ``hit_p50_ms`` / ``miss_p50_ms``: request latency of hits / misses.
* ``llm_calls``: completions the fake upstream received.
* ``wrong_hits``: hits whose cache entry was written for a question of another
  intent (every question is labelled, so the sample is all of them).

Targets: hit_ratio >= 0.8, hit_p50_ms < 20, wrong_hits 0.
Usage: ``python bench/support_cache.py [--questions 1000] [--seed 7] [--threshold T]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from sovereign.features.assistants.parts import assistants
from sovereign.features.assistants.ingest import index_run, read_documents
from sovereign.store.policy_index import collection_for_store
from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.pg import TestPostgres
from sovereign.web.app import create_app

STORE = "bench"

INTENTS: dict[str, tuple[str, str, str]] = {
    "shipping_time": ("How long does shipping take?", "When will my order arrive?", "How many days until delivery?"),
    "shipping_cost": ("How much does shipping cost?", "What are your shipping fees?", "How much is delivery?"),
    "free_shipping": (
        "Do you offer free shipping?",
        "Is shipping free?",
        "Is there a minimum order for free delivery?",
    ),
    "international": ("Do you ship internationally?", "Can you deliver outside the country?", "Do you ship abroad?"),
    "ship_canada": (
        "Do you ship to Canada?",
        "Can I get my order delivered in Canada?",
        "Is delivery to Canada possible?",
    ),
    "ship_australia": (
        "Do you ship to Australia?",
        "Can I get my order delivered in Australia?",
        "Is delivery to Australia possible?",
    ),
    "express": ("Do you have express shipping?", "Can I pay for faster delivery?", "Is next-day delivery available?"),
    "tracking": (
        "How do I track my package?",
        "Where can I find my tracking number?",
        "Do you provide tracking information?",
    ),
    "return_window": (
        "How many days do I have to return an item?",
        "What is the return period?",
        "How long do I have to send something back?",
    ),
    "return_how": ("How do I return an item?", "What is the process for returns?", "How can I send back a product?"),
    "return_cost": ("Who pays for return shipping?", "Are returns free?", "Do I have to pay to send an item back?"),
    "refund_time": (
        "How long does a refund take?",
        "When will I get my money back?",
        "How many days until my refund arrives?",
    ),
    "refund_method": (
        "Will I be refunded to my original payment method?",
        "How do I receive my refund?",
        "Do refunds go back to my card?",
    ),
    "exchange": (
        "Can I exchange an item for a different size?",
        "Do you do exchanges?",
        "Can I swap my product for another one?",
    ),
    "sale_returns": (
        "Can I return sale items?",
        "Are discounted products returnable?",
        "Can clearance items be returned?",
    ),
    "damaged": (
        "My item arrived damaged, what should I do?",
        "What if my product is broken on arrival?",
        "I received a defective item, can you help?",
    ),
    "wrong_item": (
        "I received the wrong item, what should I do?",
        "You sent me the wrong product.",
        "The item I got is not what I ordered.",
    ),
    "missing_package": (
        "My package never arrived, what can I do?",
        "The parcel is lost, can you help?",
        "Tracking says delivered but I don't have it.",
    ),
    "cancel_order": (
        "Can I cancel my order?",
        "How do I cancel a purchase?",
        "Is it possible to cancel after ordering?",
    ),
    "change_order": (
        "Can I change my order after placing it?",
        "How do I modify my order?",
        "Can I add an item to an order I already placed?",
    ),
    "change_address": (
        "Can I change my shipping address?",
        "I entered the wrong address, can you fix it?",
        "How do I update the delivery address?",
    ),
    "payment_methods": (
        "What payment methods do you accept?",
        "How can I pay?",
        "Which ways of paying are available?",
    ),
    "paypal": ("Do you accept PayPal?", "Can I pay with PayPal?", "Is PayPal available at checkout?"),
    "bank_transfer": (
        "Can I pay by bank transfer?",
        "Do you accept direct bank transfers?",
        "Is wire transfer possible?",
    ),
    "cash_on_delivery": (
        "Do you offer cash on delivery?",
        "Can I pay when the package arrives?",
        "Is COD available?",
    ),
    "installments": ("Can I pay in installments?", "Do you offer buy now pay later?", "Is there a payment plan?"),
    "currency": ("What currency are your prices in?", "Can I pay in euros?", "Which currencies do you accept?"),
    "taxes": ("Are taxes included in the price?", "Do prices include VAT?", "Will I pay sales tax?"),
    "customs": ("Will I have to pay customs duties?", "Who pays import fees?", "Are customs charges included?"),
    "discount_code": (
        "How do I use a discount code?",
        "Where do I enter my coupon?",
        "My promo code is not working.",
    ),
    "newsletter_discount": (
        "Do you give a discount for signing up to the newsletter?",
        "Is there a welcome discount?",
        "Do new customers get a coupon?",
    ),
    "gift_wrap": ("Do you offer gift wrapping?", "Can my order be gift wrapped?", "Is gift packaging available?"),
    "gift_card": ("Do you sell gift cards?", "Can I buy a gift voucher?", "Are gift certificates available?"),
    "size_guide": (
        "Where can I find your size guide?",
        "How do I know which size to order?",
        "Do you have a sizing chart?",
    ),
    "stock": (
        "When will an out-of-stock item be back?",
        "Will you restock this product?",
        "How do I know when an item is available again?",
    ),
    "warranty": (
        "Do your products have a warranty?",
        "What is the warranty period?",
        "Is there a guarantee on your products?",
    ),
    "contact": ("How can I contact customer service?", "What is your support email?", "How do I reach your team?"),
    "hours": (
        "What are your opening hours?",
        "When is customer support available?",
        "What times is your support open?",
    ),
    "store_location": (
        "Do you have a physical store?",
        "Where is your shop located?",
        "Can I visit your store in person?",
    ),
    "pickup": ("Can I pick up my order in store?", "Do you offer local pickup?", "Is click and collect available?"),
    "account": ("Do I need an account to order?", "Can I check out as a guest?", "Is registration required to buy?"),
    "password": ("How do I reset my password?", "I forgot my password.", "I can't log in to my account."),
    "privacy": (
        "What do you do with my personal data?",
        "How do you protect my privacy?",
        "Do you share my information with third parties?",
    ),
    "delete_account": ("How do I delete my account?", "Can you remove my data?", "I want my account closed."),
    "materials": (
        "What are your clothes made of?",
        "Which materials do you use?",
        "Are your products made from cotton?",
    ),
    "sustainability": (
        "Are your products sustainable?",
        "Is your packaging eco-friendly?",
        "Do you use recycled materials?",
    ),
    "care": ("How should I wash my hoodie?", "What are the care instructions?", "Can I put the shirt in the dryer?"),
    "wholesale": ("Do you offer wholesale prices?", "Can I buy in bulk?", "Do you sell to retailers?"),
    "price_match": (
        "Do you price match?",
        "Will you match a lower price from another shop?",
        "Do you have a price guarantee?",
    ),
    "preorder": ("Can I pre-order items?", "Do you take pre-orders?", "How do pre-orders work?"),
}

PAGES = {
    "shipping.md": """# Shipping

## Delivery times
Orders are dispatched within 1 business day. Delivery within Germany takes 2 to 3 business days, to other EU
countries 3 to 5 business days. Express delivery (next business day in Germany) costs 12.90 euros.

## Shipping costs
Shipping within Germany costs 4.90 euros; orders over 50 euros ship free. Other EU countries: 9.90 euros.

## Countries
We ship to all EU countries and Switzerland, but not to Canada, Australia or elsewhere outside Europe.
Orders to Switzerland may be charged import duties by Swiss customs, paid by the recipient.

## Tracking
Every parcel is tracked: the tracking link is in your shipping confirmation email.
""",
    "returns.md": """# Returns and refunds

## Return window
You can return any item within 30 days of delivery. Sale items can be returned too.

## How to return
Start a return from your account page; return shipping within Germany is free with our prepaid label.

## Refunds
Refunds go to the original payment method within 5 business days after the return arrives.

## Damaged or wrong items
If an item arrives damaged or you received the wrong item, email us a photo within 14 days and we replace it.
""",
    "payment.md": """# Payment

## Payment methods
We accept bank transfer (BACS), PayPal, credit cards and cash on delivery in Germany. Prices are in euros
and include VAT. Payment in instalments is not available.
""",
}

GREETINGS = ("", "", "", "Hi, ", "Hello! ", "Hey there, ", "Good morning, ", "Hi team, ")
LEAD_INS = ("", "", "", "", "Quick question: ", "I was wondering, ", "Can you tell me: ")
THANKS = ("", "", "", " Thanks!", " Thank you.", " Thanks in advance!", " Cheers")
SYNONYMS = (("package", "parcel"), ("an item", "a product"), ("item", "product"), ("my order", "my purchase"))
TYPO_RATE = 0.05


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def shopper_variant(text: str, rng: random.Random) -> str:
    """How a shopper might type ``text``."""
    for a, b in SYNONYMS:
        if rng.random() < 0.3:
            text = text.replace(a, b) if a in text else text.replace(b, a)
    if rng.random() < TYPO_RATE:  # two letters swapped in one longer word
        words = text.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(words)
    if rng.random() < 0.3:
        text = text.lower()
    if text.endswith("?") and rng.random() < 0.2:
        text = text[:-1] + rng.choice(("", "??"))
    lead = rng.choice(LEAD_INS)
    if lead and not text.startswith("I "):
        text = text[0].lower() + text[1:]
    return rng.choice(GREETINGS) + lead + text + rng.choice(THANKS)


def questions(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (intent, question) pairs."""
    rng = random.Random(seed)
    names = sorted(INTENTS)
    rng.shuffle(names)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(names))]
    out = []
    for _ in range(n):
        intent = rng.choices(names, weights)[0]
        out.append((intent, shopper_variant(rng.choice(INTENTS[intent]), rng)))
    return out


def p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


async def replay(db_url: str, asked: list[tuple[str, str]], threshold: float | None) -> dict[str, Any]:
    async with FakeLLM(reply="NOT_IN_POLICIES") as fake:
        provider = ProviderConfig(
            name="fake", kind="openai_compatible", endpoint=fake.openai_url, model="fake-model", jurisdiction="local",
            data_classes=["public", "customer_personal"], max_retries=0, timeouts=Timeouts(connect=1, total=30),
        )
        gw = Gateway([provider], settings=GatewaySettings(
            retry=RetrySettings(base_s=0.01, cap_s=0.02), breaker=BreakerSettings(consecutive_failures=10_000),
            degraded=DegradedSettings(min_samples=1_000_000),
        ))
        app = create_app(Settings(database_url=db_url, log_level="WARNING", embedded_model="none"),
                         run_worker=False, gateway=gw)
        async with app.router.lifespan_context(app):
            rt = app.state.runtime
            parts = assistants(rt)
            if threshold is not None:
                parts.support.cache.min_similarity = threshold
            await rt.stores.upsert(STORE, url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                                   webhook_secret="s")
            with tempfile.TemporaryDirectory() as tmp:
                for name, text in PAGES.items():
                    (Path(tmp) / name).write_text(text)
                run = await parts.store.stage(collection_for_store(STORE), read_documents(Path(tmp)))
                await index_run(parts.store, parts.embedder, run.id, parts.settings)
            await parts.embedder.embed(["warm up"])
            _, key = await rt.api_keys.create("bench", features=["support"], rate_per_minute=10_000_000)
            headers = {"Authorization": f"Bearer {key}"}
            entry_intent: dict[int, str] = {}
            hits: list[float] = []
            misses: list[float] = []
            exact = wrong = 0
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
                for intent, question in asked:
                    t0 = time.perf_counter()
                    r = await client.post("/v1/support/answer", json={"store": STORE, "question": question},
                                          headers=headers)
                    ms = (time.perf_counter() - t0) * 1000.0
                    r.raise_for_status()
                    body = r.json()
                    if body["cached"]:
                        hits.append(ms)
                        exact += body["similarity"] == 1.0
                        if entry_intent.get(body["cache_entry"]) != intent:
                            wrong += 1
                            log(f"wrong hit: {question!r} ({intent}) served entry {body['cache_entry']} "
                                f"({entry_intent.get(body['cache_entry'])}), similarity {body['similarity']}")
                    else:
                        misses.append(ms)
                        if body["cache_entry"] is not None:
                            entry_intent[body["cache_entry"]] = intent
            return {
                "questions": len(asked),
                "hit_ratio": round(len(hits) / len(asked), 4),
                "hit_p50_ms": p50(hits),
                "miss_p50_ms": p50(misses),
                "llm_calls": fake.calls,
                "wrong_hits": wrong,
                "exact_hits": exact,
                "semantic_hits": len(hits) - exact,
                "hit_p99_ms": round(sorted(hits)[int(0.99 * (len(hits) - 1))], 2) if hits else None,
                "cache_entries": len(entry_intent),
                "threshold": parts.support.cache.min_similarity,
                "intents": len(INTENTS),
                "distinct_questions": len({q for _, q in asked}),
                "embedding_model": parts.embedder.model_id,
                "llm": "FakeLLM on 127.0.0.1 (instant answers): misses measure the service, not a model",
            }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=None, help="cache similarity (default: the setting)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asked = questions(args.questions, args.seed)

    async def go() -> dict[str, Any]:
        pg = TestPostgres()
        url = await pg.new_database("bench_support")
        try:
            return await replay(url, asked, args.threshold)
        finally:
            await pg.drop_database(url)

    print(json.dumps(asyncio.run(go())))


if __name__ == "__main__":
    main()
