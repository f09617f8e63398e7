"""The offline plan: runs a Pulumi program in-process under Pulumi's own mocks and records what it would create."""
