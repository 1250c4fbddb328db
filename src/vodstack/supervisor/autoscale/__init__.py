"""The autoscaler: Kubernetes' HPA rule over the instances' metrics, in a process of its own
(docs/resilience.md, "Autoscaling")."""
