"""Tables of the merkle feature."""
