"""Where files travel between the bot's machine and worker machines that share no disk with it.

``BENJAMIN_STORE_URL`` picks the store:

- unset: the queue's own Redis (files up to a few hundred MB in all; nothing else to run),
- ``s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET`` (add ``?secure=1`` for https): any S3-compatible store
  (MinIO, ...) through the ``minio`` client,
- ``file:///PATH``: a folder every machine mounts (also what the tests use).

A job's folder is mirrored under ``jobs/<id>/`` as it saves work, so a job resumes on another machine from
its last save point; JSON files are stored with the folder's path replaced by a placeholder, so the
done-markers (which name their files) work wherever the folder is laid down again.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

log = logging.getLogger(__name__)

JOB_DIR_TOKEN = "@BENJAMIN_JOB_DIR@"
SKIP_SUFFIXES = (".tmp", ".part")
REDIS_PREFIX = "benjamin:blob:"


class StoreError(Exception):
    """The store cannot be reached or a file cannot be moved."""


class FileStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.root / prefix, ignore_errors=True)


class RedisStore:
    def __init__(self, client):
        self.r = client

    def put_bytes(self, key: str, data: bytes) -> None:
        with self.r.pipeline() as p:
            p.set(REDIS_PREFIX + key, data)
            p.sadd(REDIS_PREFIX + _top(key), key)
            p.execute()

    def get_bytes(self, key: str) -> bytes | None:
        return self.r.get(REDIS_PREFIX + key)

    def keys(self, prefix: str) -> list[str]:
        members = self.r.smembers(REDIS_PREFIX + _top(prefix))
        return sorted(k for k in (m.decode() for m in members) if k.startswith(prefix))

    def delete_prefix(self, prefix: str) -> None:
        keys = self.keys(prefix)
        if keys:
            self.r.delete(*[REDIS_PREFIX + k for k in keys])
            self.r.srem(REDIS_PREFIX + _top(prefix), *keys)


class S3Store:
    """An S3-compatible bucket (MinIO, ...) through the ``minio`` client."""

    def __init__(self, url: str):
        from minio import Minio

        u = urlparse(url)
        secure = parse_qs(u.query).get("secure", ["0"])[0] in ("1", "true", "yes")
        self.bucket = u.path.strip("/")
        if not (u.hostname and self.bucket and u.username):
            raise StoreError("BENJAMIN_STORE_URL must look like s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET")
        host = f"{u.hostname}:{u.port}" if u.port else u.hostname
        self.client = Minio(host, access_key=unquote(u.username), secret_key=unquote(u.password or ""), secure=secure)
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def put_bytes(self, key: str, data: bytes) -> None:
        import io

        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))

    def get_bytes(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, key)
        except S3Error as e:
            if e.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    def keys(self, prefix: str) -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True))

    def delete_prefix(self, prefix: str) -> None:
        for key in self.keys(prefix):
            self.client.remove_object(self.bucket, key)


def _top(key: str) -> str:
    return key.split("/", 2)[0] + "/" + (key.split("/", 2)[1] if key.count("/") >= 1 else "")


def open_store(url: str | None, redis_client=None):
    """The store named by ``url`` (BENJAMIN_STORE_URL); None means the queue's Redis (``redis_client``)."""
    if not url:
        if redis_client is None:
            raise StoreError("no BENJAMIN_STORE_URL and no Redis to keep files in")
        return RedisStore(redis_client)
    scheme = urlparse(url).scheme
    if scheme == "file":
        return FileStore(Path(unquote(urlparse(url).path)))
    if scheme == "s3":
        return S3Store(url)
    raise StoreError(f"BENJAMIN_STORE_URL must start with s3:// or file://, not {scheme or url[:10]!r}://")


# ---- job folders -------------------------------------------------------------------------------

def push_dir(store, prefix: str, folder: Path, sent: dict | None = None) -> int:
    """Upload the files of ``folder`` under ``prefix`` (those changed since ``sent``, which it updates);
    JSON files with the folder's path made portable. Returns how many were sent."""
    folder = Path(folder)
    sent = {} if sent is None else sent
    n = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in SKIP_SUFFIXES or path.name.startswith("."):
            continue
        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        rel = path.relative_to(folder).as_posix()
        if sent.get(rel) == stamp:
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            data = data.replace(str(folder).encode(), JOB_DIR_TOKEN.encode())
        store.put_bytes(f"{prefix}/{rel}", data)
        sent[rel] = stamp
        n += 1
    return n


def pull_dir(store, prefix: str, folder: Path) -> dict:
    """Lay the files stored under ``prefix`` into ``folder`` (JSON placeholders become ``folder``); returns
    the ``sent`` map for :func:`push_dir` so they are not sent back."""
    folder = Path(folder)
    sent = {}
    for key in store.keys(prefix + "/"):
        rel = key[len(prefix) + 1:]
        data = store.get_bytes(key)
        if data is None:
            continue
        if rel.endswith(".json"):
            data = data.replace(JOB_DIR_TOKEN.encode(), str(folder).encode())
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        st = path.stat()
        sent[rel] = (st.st_size, st.st_mtime_ns)
    return sent


def portable(value, folder: Path):
    """``value`` (JSON-able) with ``folder``'s path replaced by the placeholder."""
    return _swap(value, str(Path(folder)), JOB_DIR_TOKEN)


def localized(value, folder: Path):
    """The inverse of :func:`portable` for this machine's ``folder``."""
    return _swap(value, JOB_DIR_TOKEN, str(Path(folder)))


def _swap(value, old: str, new: str):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    return value
