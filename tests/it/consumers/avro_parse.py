"""Parses Avro schemas (`.avsc` files) with fastavro, an Avro implementation independent of
contrakt's front end, and opens a writer with each. Prints `ok FILE` per schema; exits 1 with
fastavro's message."""

import io
import json
import sys

import fastavro

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        parsed = fastavro.parse_schema(schema)
        # Every name resolves and every default fits its type: an empty writer accepts it.
        fastavro.writer(io.BytesIO(), parsed, [])
    except Exception as e:  # fastavro raises several types; the message is what matters
        print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {path}")
