"""The reliability suite (marker `reliability`): crashes, SIGTERM, API outages and fuzzed updates."""
