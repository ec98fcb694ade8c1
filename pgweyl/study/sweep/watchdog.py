"""A worker plugin that ends a local Dask worker once the sweep that started it is gone.

Imported only where a sweep starts its own ``LocalCluster`` (it imports distributed).
Dask ends a nanny's worker through a pipe when the nanny's process dies; this is a
second route that shares nothing with it: a daemon thread in the worker that polls its
parent pid, so a worker never outlives a sweep killed with SIGKILL (when no ``finally``
runs and nothing can be told to stop).
"""

from __future__ import annotations

import os
import threading
import time

from distributed.diagnostics.plugin import WorkerPlugin

from pgweyl.study.sweep.lock import pid_alive

#: Seconds between two looks at the parent.
INTERVAL = 0.5


class ParentWatchdog(WorkerPlugin):
    """Ends the worker process (``os._exit(1)``) when the process ``parent`` is gone."""

    idempotent = True

    def __init__(self, parent: int):
        self.parent = int(parent)

    def setup(self, worker=None):
        thread = threading.Thread(target=self._watch, name="pgweyl-watchdog", daemon=True)
        thread.start()

    def _watch(self):
        while True:
            # An orphan is re-parented (to init or a subreaper): its parent pid changes.
            if os.getppid() != self.parent and not pid_alive(self.parent):
                os._exit(1)
            time.sleep(INTERVAL)


__all__ = ["ParentWatchdog"]
