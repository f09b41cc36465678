"""WooCommerce product CSV: byte-exact round trips, description filling, resuming after a crash.

``sample_products.csv`` ships with every description filled. The store it was
imported into has six products with an empty description (README); the
``emptied`` fixture blanks those six cells in a byte copy of the sample, by
plain text surgery independent of the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from sovereign.domain.descriptions import facts, template
from sovereign.domain.products import Product, decode_csv_text
from sovereign_testkit.fixtures import fixtures_dir
from sovereign.woo.product_csv import CsvFormatError, ProductCsv, describe_csv, progress_path

EMPTY_NAMES = ["Hoodie with Logo", "Belt", "Hoodie with Pocket", "Polo", "T-Shirt with Logo", "WordPress Pennant"]
BOM = b"\xef\xbb\xbf"


def _sample() -> bytes:
    return (fixtures_dir() / "sample_products.csv").read_bytes()


def _rows(data: bytes) -> list[list[str]]:
    """The reference reading: Python's csv module."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _blank(data: bytes, names: list[str], *, include_variation: str | None = None) -> bytes:
    """Copy of ``data`` with the Description cell of the named rows emptied (raw line edit)."""
    rows = _rows(data)
    col = rows[0].index("Description")
    lines = data.split(b"\n")
    for i, row in enumerate(rows[1:], start=1):
        if row[3] in names or row[3] == include_variation:
            raw = ('"' + row[col].replace('"', '""') + '"').encode()
            assert lines[i].count(raw) == 1
            lines[i] = lines[i].replace(b"," + raw + b",", b",,")
    return b"\n".join(lines)


@pytest.fixture
def emptied(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_bytes(_blank(_sample(), EMPTY_NAMES))
    return path


def describe(product: Product) -> str:
    """The real fallback writer, as the CLI uses it when no model answers."""
    return template(facts(product), "friendly") + '\n\nSay "hello", then go.'


def test_unchanged_round_trip_is_byte_identical() -> None:
    data = _sample()
    doc = ProductCsv.parse(data)
    assert doc.bom and len(doc) == 25
    assert doc.render() == data
    assert doc.render({}) == data
    reference = _rows(data)
    assert doc.columns == reference[0]
    for i, row in enumerate(reference[1:]):
        assert list(doc.row(i).values()) == row


@pytest.mark.parametrize(
    "data",
    [
        b'ID,Name,Description\r\n1,"Mug, big","Line one\r\nline ""two"""\r\n2,Cup,\r\n',
        b"ID,Name,Description\n1,Mug,plain\n2,,\n3,Cup,last",  # no BOM, no final newline
        BOM + b'ID,Description,Name\n\n7,"",x\n8,"a""b",\xff\xfe odd bytes\n',  # blank line, invalid UTF-8
        b"ID,Name,Description\n1,Mug,",
    ],
)
def test_other_layouts_round_trip(data: bytes) -> None:
    doc = ProductCsv.parse(data)
    assert doc.render() == data
    if b"\xff" not in data:
        reference = _rows(data)
        got = [doc.row(i) for i in range(len(doc))]
        assert [list(r.values()) for r in got if any(r.values())] == [
            r + [""] * (len(reference[0]) - len(r)) for r in reference[1:] if r
        ]


def test_malformed_files_are_refused() -> None:
    with pytest.raises(CsvFormatError):
        ProductCsv.parse(b'ID,Description\n1,"quoted"junk\n')
    with pytest.raises(CsvFormatError):
        ProductCsv.parse(b"ID,Name\n1,Mug\n")  # no Description column
    with pytest.raises(CsvFormatError):
        ProductCsv.parse(b"")


async def test_filling_changes_only_the_empty_description_cells(emptied: Path, tmp_path: Path) -> None:
    source = emptied.read_bytes()
    assert ProductCsv.parse(source).render() == source
    out = tmp_path / "described.csv"
    seen: list[tuple[int, int]] = []
    report = await describe_csv(emptied, out, describe, progress=lambda done, total, p: seen.append((done, total)))
    assert (report.rows, report.eligible, report.generated, report.resumed) == (25, 6, 6, 0)
    assert seen == [(0, 6)] + [(n, 6) for n in range(1, 7)]
    assert not progress_path(out).exists()

    result = out.read_bytes()
    assert result.startswith(BOM) and b"\r" not in result
    assert result.count(b"\n") == source.count(b"\n")  # line breaks became literal \n
    before, after = _rows(source), _rows(result)
    col = before[0].index("Description")
    assert after[0] == before[0]
    changed = 0
    for old, new in zip(before[1:], after[1:]):
        assert old[:col] + old[col + 1 :] == new[:col] + new[col + 1 :]
        if old[3] in EMPTY_NAMES:
            changed += 1
            assert old[col] == ""
            product = Product.from_csv_row(dict(zip(before[0], old)))
            assert decode_csv_text(new[col]) == describe(product)  # what WooCommerce's importer reads
            assert "\\n\\n" in new[col]
        else:
            assert new == old
    assert changed == 6
    # Untouched rows keep their exact bytes; the six rows differ only inside the Description cell.
    src_lines, out_lines = source.split(b"\n"), result.split(b"\n")
    for i, (a, b) in enumerate(zip(src_lines, out_lines)):
        if 0 < i < len(before) and before[i][3] in EMPTY_NAMES:
            prefix, suffix = a.split(b",,", 1)[0], a.split(b",,", 1)[1]
            assert b.startswith(prefix + b',"') and b.endswith(b'",' + suffix)
        else:
            assert a == b


async def test_async_generator_with_concurrency_writes_the_same_file(emptied: Path, tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial.csv", tmp_path / "parallel.csv"
    await describe_csv(emptied, serial, describe)

    async def slow(product: Product) -> str:
        await asyncio.sleep(0.01 * (len(product.name) % 3))
        return describe(product)

    await describe_csv(emptied, parallel, slow, concurrency=3)
    assert parallel.read_bytes() == serial.read_bytes()


async def test_interrupted_run_resumes_without_redoing_rows(emptied: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.csv"
    await describe_csv(emptied, reference, describe)

    out = tmp_path / "described.csv"
    calls: list[str] = []

    def crashing(product: Product) -> str:
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator hits Ctrl-C after three rows
        calls.append(product.name)
        return describe(product)

    with pytest.raises(KeyboardInterrupt):
        await describe_csv(emptied, out, crashing)
    assert not out.exists()
    lines = progress_path(out).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and [json.loads(x)["description"] for x in lines[1:]] == [
        describe(p) for _, p in ProductCsv.read(emptied).products() if p.name in calls
    ]
    # A crash mid-write leaves a torn last line: it is dropped, not trusted.
    with open(progress_path(out), "ab") as fh:
        fh.write(b'{"row": 99, "descr')

    second: list[str] = []

    def counting(product: Product) -> str:
        second.append(product.name)
        return describe(product)

    report = await describe_csv(emptied, out, counting)
    assert (report.generated, report.resumed) == (3, 3)
    assert set(second).isdisjoint(calls) and len(second) == 3
    assert out.read_bytes() == reference.read_bytes()
    assert not progress_path(out).exists()


async def test_progress_for_another_input_is_ignored(emptied: Path, tmp_path: Path) -> None:
    out = tmp_path / "described.csv"
    progress_path(out).write_text('{"sovereign_describe_progress": 1, "input_sha256": "other"}\n{"row": 2, "description": "stale"}\n')
    report = await describe_csv(emptied, out, describe)
    assert report.resumed == 0 and b"stale" not in out.read_bytes()
    progress_path(out).write_bytes(b"\x00 not json\n")
    report = await describe_csv(emptied, out, describe)
    assert report.generated == 6


async def test_variations_are_skipped_unless_asked(tmp_path: Path) -> None:
    src = tmp_path / "with_variation.csv"
    src.write_bytes(_blank(_sample(), ["Belt"], include_variation="V-Neck T-Shirt - Red"))
    calls: list[str] = []

    def record(product: Product) -> str:
        calls.append(product.type)
        return describe(product)

    report = await describe_csv(src, tmp_path / "a.csv", record)
    assert (report.eligible, report.skipped_variations, calls) == (1, 1, ["simple"])
    red = _rows((tmp_path / "a.csv").read_bytes())[15]
    assert red[3] == "V-Neck T-Shirt - Red" and red[8] == ""

    calls.clear()
    report = await describe_csv(src, tmp_path / "b.csv", record, include_variations=True)
    assert (report.eligible, report.skipped_variations, sorted(calls)) == (2, 0, ["simple", "variation"])


async def test_nothing_to_do_leaves_the_file_identical(tmp_path: Path) -> None:
    src = tmp_path / "sample.csv"
    src.write_bytes(_sample())

    def never(product: Product) -> str:
        raise AssertionError(f"{product.name} already has a description")

    report = await describe_csv(src, tmp_path / "out.csv", never)
    assert report.eligible == 0 and (tmp_path / "out.csv").read_bytes() == _sample()
