-- One database per service (settings.database_urls); their tables are the services' own.
CREATE DATABASE vodstack_accounts;
CREATE DATABASE vodstack_catalog;
CREATE DATABASE vodstack_playback;
CREATE DATABASE vodstack_pipeline;
CREATE DATABASE vodstack_billing;
CREATE DATABASE vodstack_experiments;
CREATE DATABASE vodstack_popularity;
CREATE DATABASE vodstack_telemetry;
CREATE DATABASE vodstack_recs;
CREATE DATABASE vodstack_recs_watched;
CREATE DATABASE vodstack_experiments_activity;
-- History: one schema per shard, created by the history service (history.shard_url_template).
CREATE DATABASE vodstack_history;
