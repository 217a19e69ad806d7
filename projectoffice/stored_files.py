"""Files written for a database change that fails are removed with it.

Storage is not transactional: a file saved for a row whose transaction then rolls back
would stay on disk, named by nothing. A service that writes files runs under
`files_removed_on_failure()` (outside its `transaction.atomic`), and says each file it
wrote with `file_written`; when the block ends by an exception, after the database has
rolled back, the files are deleted. Blocks nest: a file written inside an inner service
is also removed when an outer one fails later, after the inner one succeeded.

A caller that wraps the service in a transaction of its own, and rolls that back after
the service returned, must remove the files itself; the services here are called from
views and tasks, outside any transaction.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.files.storage import Storage

logger = logging.getLogger(__name__)

Written = list[tuple[Storage, str]]
_open_blocks: ContextVar[tuple[Written, ...]] = ContextVar("open_blocks", default=())


@contextmanager
def files_removed_on_failure() -> Iterator[None]:
    written: Written = []
    token = _open_blocks.set((*_open_blocks.get(), written))
    try:
        yield
    except BaseException:
        for storage, name in written:
            try:
                storage.delete(name)
            except Exception:  # the failure that got us here matters more than this one
                logger.warning("could not remove %s after a failed save", name, exc_info=True)
        raise
    finally:
        _open_blocks.reset(token)


def file_written(field_file: Any) -> None:
    """A file (a `FieldFile` just saved) to remove if the enclosing blocks fail."""
    for written in _open_blocks.get():
        written.append((field_file.storage, field_file.name))
