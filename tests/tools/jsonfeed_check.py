#!/usr/bin/env python3
"""Validates JSON Feed files against the JSON Feed 1.1 schema (tests/schemas/jsonfeed),
with format checks on (uri and date-time, which need rfc3986-validator and
rfc3339-validator), and the two rules the schema leaves out: the exact version
URL and RFC 3339 dates. Prints one line per problem; exits 1 if any.
Usage: jsonfeed_check.py SCHEMA_DIR FILE..."""
import json
import os
import sys

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def main():
    schema_dir, files = sys.argv[1], sys.argv[2:]
    load = lambda name: json.load(open(os.path.join(schema_dir, name), encoding="utf-8"))
    main_schema, v1 = load("feed.json"), load("feed-1.json")
    registry = Registry().with_resources([
        ("feed-1", Resource.from_contents(v1, default_specification=DRAFT4)),
        ("https://json.schemastore.org/feed-1", Resource.from_contents(v1, default_specification=DRAFT4)),
    ])
    checker = FormatChecker()
    missing = {"uri", "date-time"} - set(checker.checkers)
    if missing:
        # jsonschema checks a format only when its library is installed: refuse to
        # pass feeds that were not really checked.
        print("%s: format checks %s unavailable; install them: "
              "pip install jsonschema rfc3986-validator rfc3339-validator"
              % (files[0] if files else "-", sorted(missing)))
        sys.exit(2)
    validator = Draft4Validator(main_schema, registry=registry, format_checker=checker)
    problems = 0
    for path in files:
        try:
            feed = json.load(open(path, encoding="utf-8"))
        except ValueError as e:
            problems += 1
            print("%s: not JSON: %s" % (path, e))
            continue
        for e in validator.iter_errors(feed):
            problems += 1
            print("%s: %s: %s" % (path, "/".join(map(str, e.absolute_path)), e.message))
        if feed.get("version") != "https://jsonfeed.org/version/1.1":
            problems += 1
            print("%s: version is not https://jsonfeed.org/version/1.1" % path)
        from datetime import datetime
        for item in feed.get("items", []):
            for key in ("date_published", "date_modified"):
                if key in item:
                    try:
                        datetime.fromisoformat(item[key].replace("Z", "+00:00"))
                    except ValueError:
                        problems += 1
                        print("%s: item %s: %s is not RFC 3339" % (path, item.get("id"), key))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
