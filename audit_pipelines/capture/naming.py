"""Dagster asset -> OpenLineage dataset identity (namespace, name).

An asset's physical identity is its standard `dagster/uri` metadata, translated by OpenLineage's
naming conventions (namespace = the datasource, name = the dataset inside it). Without one, the
asset is named inside Dagster: namespace `dagster`, name = the asset key path joined by `/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from dagster import AssetKey

DAGSTER_NAMESPACE = "dagster"
URI_METADATA_KEY = "dagster/uri"

# Object stores and lakes: namespace `scheme://bucket-or-container`, name = the key without `/`.
_OBJECT_STORE_SCHEMES = {
    "s3": "s3",
    "s3a": "s3",
    "s3n": "s3",
    "gs": "gs",
    "gcs": "gs",
    "abfs": "abfss",
    "abfss": "abfss",
    "wasb": "wasbs",
    "wasbs": "wasbs",
}
# Servers named by host and port; the spec wants the port even when the URI leaves it implicit.
_DEFAULT_PORTS = {
    "postgres": 5432,
    "mysql": 3306,
    "trino": 8080,
    "redshift": 5439,
    "sqlserver": 1433,
    "oracle": 1521,
    "db2": 50000,
    "hive": 10000,
    "cassandra": 9042,
    "kafka": 9092,
    "hdfs": 8020,
}
_SCHEME_ALIASES = {"postgresql": "postgres", "mssql": "sqlserver"}
# Names that keep their leading slash: file system paths.
_PATH_NAMED_SCHEMES = {"file", "hdfs", "dbfs"}


class DatasetName(NamedTuple):
    namespace: str
    name: str


def asset_path_name(key: AssetKey) -> str:
    """The asset key path joined by `/`: the dataset name and the child job name of an asset."""
    return "/".join(key.path)


def dataset_for_asset(key: AssetKey, uri: str | None = None) -> DatasetName:
    """The dataset of an asset: from its `dagster/uri` when it has one, else inside `dagster`."""
    if uri:
        named = dataset_from_uri(uri)
        if named is not None:
            return named
    return DatasetName(DAGSTER_NAMESPACE, asset_path_name(key))


def uri_from_metadata(metadata: Mapping[str, Any] | None) -> str | None:
    """The `dagster/uri` value of a metadata mapping (raw or MetadataValue), or None."""
    if not metadata or URI_METADATA_KEY not in metadata:
        return None
    value = metadata[URI_METADATA_KEY]
    value = getattr(value, "value", value)  # MetadataValue (text, url, path) -> its raw value
    text = str(value).strip() if value is not None else ""
    return text or None


def dataset_from_uri(uri: str) -> DatasetName | None:
    """OpenLineage naming of a URI; None when it cannot name a dataset (empty path, no scheme)."""
    if "://" not in uri and ":" not in uri.split("/", 1)[0]:
        # A bare absolute path is a local file; a relative one identifies nothing stable.
        return DatasetName("file", uri) if uri.startswith("/") else None
    parts = urlsplit(uri)
    scheme = _SCHEME_ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
    path = unquote(parts.path)
    if scheme == "file":
        return _file_dataset(parts.netloc, path)
    if not parts.netloc:
        # `bigquery:project.dataset.table` style: the scheme alone is the datasource.
        return DatasetName(scheme, path) if path else None
    if scheme in _OBJECT_STORE_SCHEMES:
        name = path.lstrip("/")
        return (
            DatasetName(f"{_OBJECT_STORE_SCHEMES[scheme]}://{parts.netloc}", name) if name else None
        )
    authority = _authority(scheme, parts)
    name = path if scheme in _PATH_NAMED_SCHEMES else path.lstrip("/")
    if scheme == "bigquery":
        # `bigquery://project.dataset.table`: the "host" is already the table name.
        return DatasetName("bigquery", parts.netloc + path)
    return DatasetName(f"{scheme}://{authority}", name) if name else None


def _file_dataset(host: str, path: str) -> DatasetName | None:
    if not path:
        return None
    if host in ("", "localhost"):
        return DatasetName("file", path)
    return DatasetName(f"file://{host}", path)


def _authority(scheme: str, parts: Any) -> str:
    """host:port without credentials, with the scheme's default port filled in."""
    host = parts.hostname or ""
    if not host:
        return parts.netloc.rsplit("@", 1)[-1]
    host = f"[{host}]" if ":" in host else host  # IPv6 literal
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    return f"{host}:{port}" if port else host
