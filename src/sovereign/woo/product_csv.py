"""WooCommerce's product CSV (the Products → Export / Import format), edited in place.

The file is kept exactly as it came: BOM, line endings, quoting of every cell
that is not changed. Only Description cells that are rewritten are re-encoded,
the way WooCommerce's exporter writes them (``fputcsv`` quoting, line breaks
as a literal ``\\n``), so the output re-imports cleanly::

    doc = ProductCsv.read("products.csv")
    for row, product in doc.products():
        ...
    doc.write("described.csv", {row: "New text.\\n\\nSecond paragraph."})

``describe_csv`` fills every empty description through a generator callable
and survives interruption: finished rows go to a sidecar progress file
(``<out>.progress.jsonl``) as they complete, and a rerun skips them.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import inspect
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Iterator, Mapping

from sovereign.domain.products import Product, encode_csv_text

__all__ = ["CsvFormatError", "DescribeReport", "ProductCsv", "describe_csv", "progress_path"]

DESCRIPTION_COLUMN = "Description"

_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_UNQUOTED = re.compile(r"[^,\r\n]*")
_NEEDS_QUOTES = re.compile(r'[,"\r\n\t \\]')


class CsvFormatError(ValueError):
    """The file is not a CSV this module can edit without changing it."""


@dataclass(frozen=True, slots=True)
class _Cell:
    raw: str  # exactly as in the file, quotes included
    value: str


@dataclass(frozen=True, slots=True)
class _Record:
    cells: tuple[_Cell, ...]
    end: str  # the line ending after this record ("" at the end of a file without one)

    def render(self, replace: Mapping[int, str] | None = None) -> str:
        raws = [c.raw for c in self.cells]
        for index, raw in (replace or {}).items():
            raws[index] = raw
        return ",".join(raws) + self.end


def _quote(value: str) -> str:
    """One cell as PHP's ``fputcsv`` (WooCommerce's exporter) writes it."""
    if value and _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _parse(text: str) -> list[_Record]:
    records: list[_Record] = []
    cells: list[_Cell] = []
    pos, size = 0, len(text)
    while pos < size:
        start = pos
        m = _QUOTED.match(text, pos) if text.startswith('"', pos) else None
        if m:
            value, pos = m.group(1).replace('""', '"'), m.end()
        else:
            m = _UNQUOTED.match(text, pos)
            value, pos = m.group(0), m.end()
        cells.append(_Cell(text[start:pos], value))
        if text.startswith(",", pos):
            pos += 1
            if pos == size:  # a trailing comma at the end of the file: one more empty cell
                cells.append(_Cell("", ""))
            continue
        end = "\r\n" if text.startswith("\r\n", pos) else text[pos : pos + 1]
        if end not in ("\r\n", "\n", "\r", ""):
            line = text.count("\n", 0, pos) + 1
            raise CsvFormatError(f"line {line}: unexpected {text[pos]!r} after a quoted cell")
        pos += len(end)
        records.append(_Record(tuple(cells), end))
        cells = []
    if cells:
        records.append(_Record(tuple(cells), ""))
    return records


class ProductCsv:
    """A parsed product CSV that renders back byte for byte, changes aside."""

    def __init__(self, header: _Record, records: list[_Record], *, bom: bool) -> None:
        self._header = header
        self._records = records
        self.bom = bom
        self.columns = [c.value.strip() for c in header.cells]
        lookup = {name.casefold(): i for i, name in enumerate(self.columns)}
        if DESCRIPTION_COLUMN.casefold() not in lookup:
            raise CsvFormatError(f"no {DESCRIPTION_COLUMN!r} column; columns are {self.columns}")
        self.description_index = lookup[DESCRIPTION_COLUMN.casefold()]

    @classmethod
    def parse(cls, data: bytes) -> "ProductCsv":
        bom = data.startswith(codecs.BOM_UTF8)
        # surrogateescape: any byte that is not UTF-8 survives the round trip unchanged.
        text = data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8", errors="surrogateescape")
        records = _parse(text)
        if not records:
            raise CsvFormatError("empty file")
        return cls(records[0], records[1:], bom=bom)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "ProductCsv":
        return cls.parse(Path(path).read_bytes())

    def __len__(self) -> int:
        return len(self._records)

    def row(self, index: int) -> dict[str, str]:
        """Data row ``index`` (0 = first after the header) as ``{column: value}``."""
        values = [c.value for c in self._records[index].cells]
        return {name: values[i] if i < len(values) else "" for i, name in enumerate(self.columns)}

    def products(self, *, currency: str | None = None) -> Iterator[tuple[int, Product]]:
        """Every non-blank data row as ``(row index, Product)``."""
        for index, record in enumerate(self._records):
            if len(record.cells) == 1 and not record.cells[0].value.strip():
                continue
            yield index, Product.from_csv_row(self.row(index), currency=currency)

    def render(self, descriptions: Mapping[int, str] | None = None) -> bytes:
        """The file with the Description cell of each row in ``descriptions`` replaced by that text."""
        parts = [codecs.BOM_UTF8.decode("utf-8")] if self.bom else []
        parts.append(self._header.render())
        col = self.description_index
        for index, record in enumerate(self._records):
            if descriptions and index in descriptions:
                if col >= len(record.cells):
                    raise CsvFormatError(f"row {index} has no {DESCRIPTION_COLUMN} cell")
                parts.append(record.render({col: _quote(encode_csv_text(descriptions[index]))}))
            else:
                parts.append(record.render())
        return "".join(parts).encode("utf-8", errors="surrogateescape")

    def write(self, path: str | os.PathLike[str], descriptions: Mapping[int, str] | None = None) -> None:
        """Render to ``path`` atomically (temporary file, fsync, rename)."""
        _atomic_write(Path(path), self.render(descriptions))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------- resumable run


def progress_path(out_path: str | os.PathLike[str]) -> Path:
    """Where ``describe_csv`` keeps its progress for ``out_path``."""
    out = Path(out_path)
    return out.with_name(out.name + ".progress.jsonl")


class _Progress:
    """Append-only JSON lines: a header naming the input's sha256, then one line per finished row."""

    def __init__(self, path: Path, input_sha256: str) -> None:
        self.path = path
        self.done: dict[int, str] = {}
        header = {"sovereign_describe_progress": 1, "input_sha256": input_sha256}
        if path.exists():
            raw = path.read_bytes()
            complete = raw[: raw.rfind(b"\n") + 1]  # a line torn by a crash is dropped
            try:
                lines = complete.decode("utf-8").splitlines()
                if lines and json.loads(lines[0]) == header:
                    for line in lines[1:]:
                        entry = json.loads(line)
                        self.done[int(entry["row"])] = str(entry["description"])
                    if complete != raw:
                        path.write_bytes(complete)
                    return
            except (ValueError, KeyError, TypeError):
                self.done.clear()  # unreadable: start over rather than trust it
        path.write_text(json.dumps(header) + "\n", encoding="utf-8")  # new, for another input, or unreadable

    def record(self, row: int, description: str) -> None:
        line = json.dumps({"row": row, "description": description}, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.done[row] = description


@dataclass(frozen=True, slots=True)
class DescribeReport:
    rows: int  # data rows in the file
    eligible: int  # rows with an empty description that are described
    generated: int  # described by this run
    resumed: int  # taken from an earlier, interrupted run
    skipped_variations: int  # empty variations left alone (include_variations=False)


Generate = Callable[[Product], Awaitable[str]] | Callable[[Product], str]
Progress = Callable[[int, int, Product | None], None]


async def describe_csv(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    generate: Generate,
    *,
    progress: Progress | None = None,
    include_variations: bool = False,
    concurrency: int = 1,
    currency: str | None = None,
) -> DescribeReport:
    """Fill every empty Description in ``in_path`` with ``generate(product)`` and write ``out_path``.

    Only rows whose description is empty (after stripping markup and blank
    space) are described; variations only with ``include_variations``.
    ``generate`` may be sync or async; it should never fail for one product
    (fall back to a template), because an exception stops the run. Each
    finished row is saved to ``progress_path(out_path)`` at once, so a rerun
    after an interruption continues where it stopped; the progress file is
    removed once ``out_path`` is written. ``progress(done, total, product)``
    is called once at the start (``product`` None) and after each row.
    """
    data = Path(in_path).read_bytes()
    doc = ProductCsv.parse(data)
    empty = [(i, p) for i, p in doc.products(currency=currency) if p.needs_description]
    targets = [(i, p) for i, p in empty if include_variations or not p.is_variation]
    state = _Progress(progress_path(out_path), hashlib.sha256(data).hexdigest())
    wanted = {i for i, _ in targets}
    resumed = len(wanted & state.done.keys())
    pending = [(i, p) for i, p in targets if i not in state.done]
    total = len(targets)
    if progress:
        progress(resumed, total, None)

    async def one(row: int, product: Product) -> None:
        result = generate(product)
        text = await result if inspect.isawaitable(result) else result
        state.record(row, str(text))
        if progress:
            progress(len(wanted & state.done.keys()), total, product)

    if concurrency <= 1:
        for row, product in pending:
            await one(row, product)
    else:
        queue = iter(pending)

        async def worker() -> None:
            for row, product in queue:  # a shared iterator: each row is taken once
                await one(row, product)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(concurrency, len(pending))):
                    group.create_task(worker())
        except ExceptionGroup as errors:  # surface the first failure as itself, like the serial path
            raise errors.exceptions[0] from None

    doc.write(out_path, {i: state.done[i] for i in wanted})
    state.path.unlink(missing_ok=True)
    return DescribeReport(
        rows=len(doc),
        eligible=total,
        generated=len(pending),
        resumed=resumed,
        skipped_variations=len(empty) - len(targets),
    )
