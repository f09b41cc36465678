"""Queue throughput benchmark: `python bench/queue.py` prints one JSON object (json.dumps in _queue_bench.py).

The issue names this file bench/queue.py, which is also the name of a standard
library module; running any `python bench/<script>.py` puts this folder on
sys.path, so `import queue` (asyncio does it) would find this file. So this
file is only a shim: run as a script it runs `_queue_bench.py`; imported as
`queue` it hands over the standard library module.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    import runpy

    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p not in ("", here)]
    runpy.run_path(str(Path(__file__).with_name("_queue_bench.py")), run_name="__main__")
else:  # imported by mistake as the stdlib `queue`: become it
    import importlib.util
    import sysconfig

    _spec = importlib.util.spec_from_file_location("queue", str(Path(sysconfig.get_paths()["stdlib"]) / "queue.py"))
    _mod = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    sys.modules["queue"] = _mod
    _spec.loader.exec_module(_mod)  # type: ignore[union-attr]
