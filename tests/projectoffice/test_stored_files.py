"""A file written for a save that fails is removed; one of a save that succeeds stays."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from projectoffice.stored_files import file_written, files_removed_on_failure


class Saved:
    def __init__(self, storage: FileSystemStorage, name: str) -> None:
        self.storage = storage
        self.name = storage.save(name, ContentFile(b"x"))


def test_a_file_of_a_failed_block_is_removed_and_one_of_a_good_block_stays(tmp_path) -> None:
    storage = FileSystemStorage(location=tmp_path)
    with files_removed_on_failure():
        file_written(Saved(storage, "kept.txt"))
    with pytest.raises(RuntimeError), files_removed_on_failure():
        file_written(Saved(storage, "lost.txt"))
        raise RuntimeError("the database refused")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_an_outer_failure_removes_the_file_of_an_inner_block_that_succeeded(tmp_path) -> None:
    storage = FileSystemStorage(location=tmp_path)
    with pytest.raises(RuntimeError), files_removed_on_failure():
        with files_removed_on_failure():
            file_written(Saved(storage, "inner.txt"))
        assert (tmp_path / "inner.txt").exists()
        raise RuntimeError("a later step failed")
    assert list(tmp_path.iterdir()) == []
