import pytest

from storage.db import open_db


@pytest.fixture
def db():
    d = open_db(None)
    yield d
    d.close()


@pytest.fixture
def file_db_path(tmp_path):
    return tmp_path / "home" / "benjamin.db"
