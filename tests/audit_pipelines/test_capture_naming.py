"""Pure mapping rules: dataset naming, the actor of a run, the capture cursor."""

from __future__ import annotations

import pytest
from dagster import AssetKey, MetadataValue

from audit_pipelines.capture.actor import actor_facet
from audit_pipelines.capture.cursor import CaptureCursor, asset_stream, run_stream
from audit_pipelines.capture.naming import (
    DatasetName,
    dataset_for_asset,
    dataset_from_uri,
    uri_from_metadata,
)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///data/raw.csv", ("file", "/data/raw.csv")),
        ("file://localhost/data/raw.csv", ("file", "/data/raw.csv")),
        ("file://nas01/share/raw.csv", ("file://nas01", "/share/raw.csv")),
        ("file:///data/with%20space.csv", ("file", "/data/with space.csv")),
        ("/abs/path/model.joblib", ("file", "/abs/path/model.joblib")),
        ("s3://bucket/a/b.parquet", ("s3://bucket", "a/b.parquet")),
        ("s3a://bucket/a/b.parquet", ("s3://bucket", "a/b.parquet")),
        ("gcs://bucket/key", ("gs://bucket", "key")),
        ("gs://bucket/key", ("gs://bucket", "key")),
        (
            "abfss://box@acct.dfs.core.windows.net/lake/t",
            ("abfss://box@acct.dfs.core.windows.net", "lake/t"),
        ),
        ("hdfs://namenode:8020/warehouse/t", ("hdfs://namenode:8020", "/warehouse/t")),
        (
            "postgresql://u:secret@db.example.com/shop.public.orders",
            ("postgres://db.example.com:5432", "shop.public.orders"),
        ),
        ("mysql://db:3307/shop.orders", ("mysql://db:3307", "shop.orders")),
        ("bigquery:proj.ds.table", ("bigquery", "proj.ds.table")),
        ("bigquery://proj.ds.table", ("bigquery", "proj.ds.table")),
    ],
)
def test_uris_follow_openlineage_naming(uri: str, expected: tuple[str, str]) -> None:
    assert dataset_from_uri(uri) == DatasetName(*expected)


@pytest.mark.parametrize("uri", ["relative/path.csv", "s3://bucket", "file://", "bigquery:"])
def test_uris_that_name_no_dataset(uri: str) -> None:
    assert dataset_from_uri(uri) is None


def test_credentials_never_reach_the_namespace() -> None:
    named = dataset_from_uri("postgres://admin:hunter2@10.0.0.5:6432/db.s.t")
    assert named == DatasetName("postgres://10.0.0.5:6432", "db.s.t")


def test_asset_without_uri_is_named_inside_dagster() -> None:
    assert dataset_for_asset(AssetKey(["ml", "model"])) == DatasetName("dagster", "ml/model")
    assert dataset_for_asset(AssetKey("x"), "not a uri") == DatasetName("dagster", "x")


@pytest.mark.parametrize(
    "value",
    [
        "file:///d/t.csv",
        MetadataValue.text("file:///d/t.csv"),
        MetadataValue.url("file:///d/t.csv"),
        MetadataValue.path("file:///d/t.csv"),
    ],
)
def test_uri_metadata_in_any_form(value: object) -> None:
    uri = uri_from_metadata({"dagster/uri": value})
    assert dataset_for_asset(AssetKey("t"), uri) == DatasetName("file", "/d/t.csv")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"dagster/user": "alice"}, ("alice", "user", "dagster/user")),
        ({"dagster/schedule_name": "nightly"}, ("nightly", "schedule", "dagster/schedule_name")),
        ({"dagster/sensor_name": "on_upload"}, ("on_upload", "sensor", "dagster/sensor_name")),
        (
            {"dagster/user": "bob", "dagster/sensor_name": "s"},
            ("bob", "user", "dagster/user"),
        ),
        ({"team": "ml"}, ("unknown", "unknown", None)),
        ({"dagster/user": "  "}, ("unknown", "unknown", None)),
        (None, ("unknown", "unknown", None)),
    ],
)
def test_actor_from_run_tags(
    tags: dict[str, str] | None, expected: tuple[str, str, str | None]
) -> None:
    facet = actor_facet(tags, "https://test")
    assert (facet.name, facet.kind, facet.source) == expected


def test_cursor_round_trip_and_monotonic() -> None:
    cursor = CaptureCursor.parse(None)
    stream = asset_stream("materialization")
    cursor.advance(stream, 10)
    cursor.advance(stream, 7)  # never backwards
    cursor.advance(run_stream("RUN_START"), 3)
    again = CaptureCursor.parse(cursor.serialize())
    assert again.position(stream) == 10
    assert again.position(run_stream("RUN_START")) == 3
    assert again.position(run_stream("RUN_FAILURE")) is None
    assert stream != asset_stream("observation")


def test_superseded_cursor_replays_from_the_start() -> None:
    # Version 1 kept a position per asset key; its positions do not bound the global streams,
    # so the capture starts over and the store's idempotency keys drop what it already has.
    old = '{"v": 1, "after": {"materialization:[\\"a\\"]": 12, "run:RUN_START": 3}}'
    assert CaptureCursor.parse(old).after == {}


@pytest.mark.parametrize("text", ["not json", '{"v": 99}', '{"v": 2, "after": {"x": "1"}}', "[]"])
def test_foreign_cursor_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        CaptureCursor.parse(text)
