"""The web portal for the operator and municipalities (Dutch), the public status page and the
JSON API; started by server/."""
