"""Table `contacts`: one record per person in a contact book, and the identities that point to it.

A contact book is an account's (or several accounts' sharing `options.contact_book`, e.g. an OA and the
WeCom corp of the same company, so a unionid joins a follower and a customer into one person).
Items (hash `book`, range `sk`):
- `c#<contact_id>`: the contact: unionid, identities, touches (JSON list; see scrm.domain.attribution),
  first/last touch, `version` for optimistic concurrency.
- `i#oa:<account_id>:<openid>`, `i#wecom:<account_id>:<external_userid>`, `i#u:<unionid>`: pointers to
  the contact id, each created once with a condition.
"""

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("contacts")
class ContactItem(Model):
    class Meta:
        pass

    book = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    contact_id = UnicodeAttribute(null=True)
    unionid = UnicodeAttribute(null=True)
    identities = ListAttribute(null=True)
    touches = UnicodeAttribute(null=True)  # JSON list of touches
    first_touch = MapAttribute(null=True)
    last_touch = MapAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)


# --- repository: reads on behalf of a scope. A book may be shared by several accounts (configured by the
# platform in each account's options), so the scope is checked against the account asking, and the
# caller passes that account's configured book.

def contact_id_for(scope, account_id: str, book: str, key: str) -> str | None:
    scope.check(account_id)
    try:
        return ContactItem.get(book, f"i#{key}", consistent_read=True).contact_id
    except ContactItem.DoesNotExist:
        return None


def load_contact(scope, account_id: str, book: str, contact_id: str) -> ContactItem | None:
    scope.check(account_id)
    try:
        return ContactItem.get(book, f"c#{contact_id}", consistent_read=True)
    except ContactItem.DoesNotExist:
        return None
