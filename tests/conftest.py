import os

from hypothesis import HealthCheck, settings

# CI runs many examples; a local run can set HYPOTHESIS_PROFILE=dev for speed.
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
