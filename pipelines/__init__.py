"""The ML lifecycle on a provisioned stack: it reads only stack outputs and talks to AWS through boto3."""
