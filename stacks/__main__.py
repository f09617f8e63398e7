"""Entry point Pulumi runs (`main: stacks/`): validate this stack's config, then compose the platform."""

from modelyard.stacks.program import main

main()
