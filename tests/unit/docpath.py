"""Edit a nested input document by a dotted path: what the table-driven bad-input tests use."""
import copy

DELETE = object()


def changed(doc, path, value):
    """Copy of ``doc`` with the value at ``path`` ("zones.0.role": list indexes as ints) replaced, or
    removed when ``value`` is DELETE."""
    doc = copy.deepcopy(doc)
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if p.isdigit() else cur[p]
    last = parts[-1]
    key = int(last) if last.isdigit() else last
    if value is DELETE:
        del cur[key]
    else:
        cur[key] = value
    return doc
