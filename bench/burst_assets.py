"""The Dagster side of the capture benchmark: one source and many assets computed from it.

Each run of `burst_job(width)` materializes the source and `width` assets that depend on it, so
every burst materialization carries Dagster's input provenance (the source's data version) and
its audit event must name the source as an input.
"""

from dagster import (
    AssetSpec,
    DataVersion,
    Definitions,
    JobDefinition,
    MaterializeResult,
    asset,
    define_asset_job,
    multi_asset,
)

SOURCE = "burst_source"


def burst_key(index: int) -> str:
    return f"burst_{index:05d}"


@asset(name=SOURCE)
def burst_source() -> MaterializeResult:
    return MaterializeResult(data_version=DataVersion("v1"))


def burst_definitions(width: int) -> Definitions:
    """A source and `width` derived assets, with a job materializing all of them."""
    specs = [AssetSpec(burst_key(i), deps=[SOURCE]) for i in range(width)]

    @multi_asset(specs=specs, name="burst_outputs")
    def burst_outputs(context):
        for spec in specs:
            yield MaterializeResult(asset_key=spec.key, metadata={"rows": 1})

    job = define_asset_job("burst_job", selection=[burst_source, burst_outputs])
    return Definitions(assets=[burst_source, burst_outputs], jobs=[job])


def burst_job(definitions: Definitions) -> JobDefinition:
    return definitions.resolve_job_def("burst_job")
