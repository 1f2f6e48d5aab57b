"""An RFC 6962 Merkle tree over the audit log: storage, proofs, a verifier, signed heads.

Modules, from the bottom up: `hashing` (leaf and node hashes), `layout` (index arithmetic: where a
node is stored, which subtrees a root or proof needs), `entries` (the bytes of stored entries),
`tree` (append and read stored nodes), `proofs` (inclusion and consistency proofs from stored
nodes), `verifier` (checks proofs with no database and no project imports besides `hashing`),
`heads` (signed tree heads), `scan`, `check`, `check_heads` and `parallel` (what `mlaudit verify`
checks, on two cores for a large log), `export` and `offline` (proofs as JSON, checked offline).
"""
