-- One database per service (settings.database_urls); their tables are the services' own.
CREATE DATABASE vodstack_accounts;
CREATE DATABASE vodstack_catalog;
CREATE DATABASE vodstack_playback;
CREATE DATABASE vodstack_pipeline;
