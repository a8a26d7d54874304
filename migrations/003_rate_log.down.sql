DROP TABLE rate_log;
