"""Monthly cost estimates of planned stacks from a shipped on-demand price table."""

from modelyard.costing.assumptions import CostAssumptions
from modelyard.costing.estimator import estimate_cost, estimate_cost_or_error
from modelyard.costing.price_table import CostError, load_price_table

__all__ = [
    "CostAssumptions",
    "CostError",
    "estimate_cost",
    "estimate_cost_or_error",
    "load_price_table",
]
