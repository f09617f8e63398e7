"""Facts every layer shares: the stack-outputs contract, instance families, metric names. Imports nothing of ours."""
