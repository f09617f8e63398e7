"""What runs inside the training and serving containers (and, unchanged, on a host)."""
