"""Dataset locations every layer may name: the URI that stands for the bundled demo dataset."""

BUNDLED_DEMO_SOURCE = "bundled:demo"
