"""Pipeline orchestration: the persisted DAG of idempotent tasks, its workers, publishing."""
