"""Checks of the emulator itself, where the end-to-end tests lean on a guarantee AWS gives and
moto, unpatched, does not. Run by scripts/test against moto_server.py before the end-to-end
tests; exits 1 naming the guarantee that failed.

1. A stack that reads CREATE_COMPLETE has its outputs. Polled while a change set of 150
   resources executes on another thread: unpatched moto showed the status before the outputs
   in 3 rounds of 4, which made a rerun after kill -9 read a stack without its outputs.

Usage: python selfcheck.py URL
"""

import json
import sys
import threading
import time

import boto3

ROUNDS, RESOURCES, POLLS, SECONDS = 4, 150, 2000, 60


def main(url):
    cf = boto3.client(
        "cloudformation",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    template = json.dumps(
        {
            "Resources": {f"T{i}": {"Type": "AWS::SNS::Topic"} for i in range(RESOURCES)},
            "Outputs": {f"O{i}": {"Value": {"Fn::GetAtt": [f"T{i}", "TopicName"]}} for i in range(RESOURCES)},
        }
    )
    deadline = time.monotonic() + SECONDS
    problems = []
    for round_ in range(ROUNDS):
        stack = f"tenancy-selfcheck-{round_}"
        cf.create_change_set(StackName=stack, ChangeSetName="c", TemplateBody=template, ChangeSetType="CREATE")
        executing = threading.Thread(target=lambda: cf.execute_change_set(StackName=stack, ChangeSetName="c"))
        executing.start()
        for _ in range(POLLS):
            if time.monotonic() > deadline:
                problems.append(f"{stack}: not CREATE_COMPLETE within {SECONDS} s")
                break
            described = cf.describe_stacks(StackName=stack)["Stacks"][0]
            if described["StackStatus"] == "CREATE_COMPLETE":
                got = len(described.get("Outputs") or [])
                if got != RESOURCES:
                    problems.append(f"{stack}: CREATE_COMPLETE with {got} of its {RESOURCES} outputs")
                break
        executing.join(timeout=SECONDS)
        cf.delete_stack(StackName=stack)
    if problems:
        print("emulator self-check failed: a stack that reads CREATE_COMPLETE must have its outputs", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"emulator self-check: {ROUNDS} stacks read CREATE_COMPLETE only with all {RESOURCES} outputs")


if __name__ == "__main__":
    main(sys.argv[1])
