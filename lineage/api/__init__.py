"""The HTTP API: OpenLineage's `POST /api/v1/lineage` for producers, and the CLI's questions.

Modules: `app` (the FastAPI factory), `limits` and `jsonbody` (what a request body must be before
the core sees it), `auth` and `audit` (bearer tokens, role checks, reads recorded as user actions),
`writer` (group commit of concurrent ingests), `ingest_routes`, `read_routes`,
`integrity_routes`, `errors` (every failure as a JSON 4xx/5xx), `openapi` (what FastAPI cannot
infer for /openapi.json), `settings` (defaults, importable without FastAPI), `server` (uvicorn)
and `client` (`mlaudit ingest --url`, httpx only). FastAPI is imported only here, never by the
core.
"""
