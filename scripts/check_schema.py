"""blueprints/schema.json as an editor reads it (yaml-language-server validates with JSON Schema
draft 2020-12): every good blueprint must pass, a blueprint with a tenants directory and each of
its tenant files must pass, and a misspelt field must fail, so the check can fail.

Usage: python scripts/check_schema.py SCHEMA BLUEPRINT...
"""

import copy
import os
import sys

import jsonschema
import yaml


def errors(validator, document):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}" for e in validator.iter_errors(document)]


def main():
    schema_path, blueprints = sys.argv[1], sys.argv[2:]
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    whole = jsonschema.Draft202012Validator(schema)
    # One tenant file is a TenantDoc, the item type of the list.
    tenant = jsonschema.Draft202012Validator({"$ref": "#/$defs/TenantDoc", "$defs": schema["$defs"]})
    failed = []
    for path in blueprints:
        with open(path) as f:
            doc = yaml.safe_load(f)
        failed += [f"{path}: {e}" for e in errors(whole, doc)]
        if isinstance(doc.get("tenants"), str):
            # Its tenants are files: each one is a tenant, and listed they make a blueprint.
            directory = os.path.join(os.path.dirname(path), doc["tenants"])
            listed = []
            for name in sorted(os.listdir(directory)):
                if name.startswith("."):
                    continue
                with open(os.path.join(directory, name)) as f:
                    listed.append(yaml.safe_load(f))
            if not listed:
                failed.append(f"{path}: no tenant files in {directory}")
            failed += [f"{path} (tenants listed): {e}" for e in errors(whole, {**doc, "tenants": listed})]
        else:
            listed = doc.get("tenants") or []
        # The same platform with its tenants as files.
        split = {**doc, "tenants": "tenants/"}
        failed += [f"{path} (tenants as a directory): {e}" for e in errors(whole, split)]
        for item in listed:
            failed += [f"{path} (tenant file {item['id']}.yaml): {e}" for e in errors(tenant, item)]
        # A misspelt field must be refused, at the top and inside a tenant.
        for mutate, where in [(lambda d: d.__setitem__("tenant", []), "top level"),
                              (lambda d: d["platform"].__setitem__("regoin", "x"), "platform")]:
            bad = copy.deepcopy(doc)
            mutate(bad)
            if not errors(whole, bad):
                failed.append(f"{path}: a misspelt field at the {where} passed the schema")
        if listed and not errors(tenant, {**listed[0], "teir": "basic"}):
            failed.append(f"{path}: a misspelt tenant field passed the schema")
    if failed:
        print("\n".join(failed), file=sys.stderr)
        sys.exit(1)
    print(f"{len(blueprints)} blueprints valid against {schema_path}, as lists and as tenant files; misspellings refused")


if __name__ == "__main__":
    main()
