"""The telemetry service: consumes the events log into popularity counts and QoE series."""
