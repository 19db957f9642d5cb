"""One page of a DynamoDB query: bounded reads for every list the API returns.

PynamoDB's result iterator keeps requesting pages until `limit` items matched, so a filtered query over a
large partition can read all of it in one API request. `one_page` makes exactly one Query request (at most
`page_size` items evaluated) and returns its items and LastEvaluatedKey, which the admin API turns into its
opaque cursor (functions.admin_common.encode_cursor). A page may hold fewer items than asked for (a filter
dropped some) and still have a next page: clients follow next_cursor until it is null.
"""

from __future__ import annotations


def one_page(results) -> tuple[list, dict | None]:
    """(items, last evaluated key or None) of the first page of a PynamoDB ResultIterator (query/scan built
    with `page_size=`). Relies on pynamodb 6's ResultIterator.page_iter and its item mapper."""
    try:
        page = next(results.page_iter)
    except StopIteration:
        return [], None
    return [results._map_fn(i) for i in page.get("Items") or []], page.get("LastEvaluatedKey") or None
