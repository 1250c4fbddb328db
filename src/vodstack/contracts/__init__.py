"""Wire formats: the JSON each service speaks, shared by the service and its typed client."""
