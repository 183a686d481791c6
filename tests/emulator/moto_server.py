"""Starts moto's server for the end-to-end tests, with two gaps of moto 5.2 closed.

Stacks made through change sets (the only way tenancy makes stacks, as on AWS) do not work in
moto as they do on AWS: moto builds a CREATE change set's stack without the account's exports,
so `Fn::ImportValue` fails, and after executing a change set it never rebuilds the stack's
outputs or registers its exports. This wrapper gives such stacks the exports, refreshes outputs
and exports after a change set executes, then runs moto's own server unchanged.

Usage: python moto_server.py PORT
"""

import sys

from moto.cloudformation import models
from moto.server import main


original = models.CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    original(self, change_set_name, stack_name)
    for stack in self.stacks.values():
        if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            stack._parse_template()
            stack.output_map = stack._create_output_map()
            for export in stack.exports:
                self.exports[export.name] = export


models.CloudFormationBackend.execute_change_set = execute_change_set

original_create = models.CloudFormationBackend.create_change_set


def create_change_set(self, *args, **kwargs):
    change_set_id, stack_id = original_create(self, *args, **kwargs)
    stack = self.stacks[stack_id]
    if stack.cross_stack_resources is not self.exports:
        stack.cross_stack_resources = self.exports
        stack.resource_map = stack._create_resource_map()
    return change_set_id, stack_id


models.CloudFormationBackend.create_change_set = create_change_set

if __name__ == "__main__":
    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
