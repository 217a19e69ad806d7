"""Reads: who may read what, and the reads the API, the portal and the exports share.

Selectors return querysets already scoped to the caller and already `select_related`, or
plain values computed from them. They write nothing and import no service: a write may
read through a selector, never the other way round.
"""
