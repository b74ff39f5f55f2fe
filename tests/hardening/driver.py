"""Run ``workbench validate`` and ``workbench import-observations`` on each file, bounded.

``python driver.py OUT.json FILE...`` – started as a subprocess by ``test_hostile_files.py``.
Imports the CLI once, then forks ONE child per file and command; the child sets
``RLIMIT_AS`` (memory) and an alarm (time) and runs the real click command (standalone mode:
exit codes and output exactly as on the command line; an escaping exception prints its
traceback). The parent collects exit status, output, wall time and the child's own peak RSS
(``os.wait4``), and writes one JSON record per run. Forking after importing keeps the suite
fast; nothing (no polars thread pool) has run before the fork.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
import traceback

MEMORY_LIMIT = int(os.environ.get("HARDENING_RLIMIT_AS", str(1536 * 1024 * 1024)))
TIMEOUT_S = int(os.environ.get("HARDENING_TIMEOUT_S", "20"))


def run_child(args: list[str], out_fd: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.alarm(TIMEOUT_S)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    from workbench.cli import main

    code = 0
    try:
        main.main(args=args, prog_name="workbench", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - show it: the test fails on "Traceback"
        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run(args: list[str]) -> dict:
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        run_child(args, write_fd)
    os.close(write_fd)
    chunks = []
    with os.fdopen(read_fd, "rb") as fh:
        while True:
            data = fh.read(65536)
            if not data:
                break
            if sum(len(c) for c in chunks) < 200_000:
                chunks.append(data)
    _pid, status, usage = os.wait4(pid, 0)
    elapsed = time.monotonic() - start
    if os.WIFSIGNALED(status):
        code = -os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
    return {
        "args": args,
        "exit": code,
        "output": b"".join(chunks).decode("utf-8", errors="replace"),
        "seconds": round(elapsed, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    # Imported once before forking (nothing runs yet, so no thread pool is forked).
    import polars  # noqa: F401

    import workbench.cli  # noqa: F401
    import workbench.commands.observations  # noqa: F401
    import workbench.commands.validate  # noqa: F401
    import workbench.loaders.gv_isys  # noqa: F401
    import workbench.loaders.municipal_series  # noqa: F401
    import workbench.observations_io  # noqa: F401
    import workbench.store  # noqa: F401

    out_path, *jobs = sys.argv[1:]
    results = []
    for job in jobs:
        command, path, db = job.split("|")
        if command == "validate":
            args = ["validate", "--no-checksum", path]
        else:
            args = ["import-observations", path, "--db", db, "--user", "Prüfer"]
        results.append({"file": path, "command": command, **run(args)})
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
