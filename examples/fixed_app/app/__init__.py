"""The tutorial app done right (see ../README.md)."""
