DROP INDEX attempts_started_at_idx;
ALTER TABLE rate_log DROP COLUMN requests;
