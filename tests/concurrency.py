"""Running one call from several threads at the same moment, for the PostgreSQL race tests."""

import threading

from django.db import connection


def run_at_once(target, count: int) -> list:
    """Call `target()` from `count` threads released together; each result or exception, in any order."""
    barrier, results = threading.Barrier(count), []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # recorded for the assertions
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
