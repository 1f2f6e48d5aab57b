"""Tables of the privacy feature."""
