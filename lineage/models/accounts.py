"""Tables of the accounts feature."""
