"""Shared helpers of the landscape tests."""

import _thread
import threading
import time


def interrupt_after(seconds: float) -> dict:
    """Send this process's main thread a KeyboardInterrupt (as Ctrl-C does) after
    ``seconds``; the returned dict gets ``"t"``, the perf_counter time it fired."""
    fired = {}

    def interrupt():
        fired["t"] = time.perf_counter()
        _thread.interrupt_main()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    return fired
