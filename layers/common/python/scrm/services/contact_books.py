"""Shared contact books: their home is scrm.services.channels.books (re-exported here for functions/)."""

from .channels.books import book_of, delete, set_members, show  # noqa: F401
