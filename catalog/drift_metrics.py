"""Names of the drift metrics the monitor step publishes and the stack's alarms watch: one definition for both sides."""

DRIFT_METRIC_NAMESPACE = "Modelyard/Drift"
MAX_FEATURE_PSI_METRIC = "MaxFeaturePSI"
# The count of features the report's rule (PSI over the threshold AND a significant KS test) judges drifted; unlike
# MaxFeaturePSI it stays 0 on small undrifted samples, whose PSI crosses the threshold by chance.
DRIFTED_FEATURES_METRIC = "DriftedFeatureCount"
