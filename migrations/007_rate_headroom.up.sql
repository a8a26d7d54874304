-- Usage the provider counts and our workers did not send (another client on
-- the same key, a lower limit than configured), seen in the x-ratelimit-*
-- headers of its answers, is logged as rows with the requests and tokens it
-- stands for; the workers' own requests are one request each.
ALTER TABLE rate_log ADD COLUMN requests integer NOT NULL DEFAULT 1;
-- The breakers, learned routing and stats read the attempts of a recent
-- window from every document.
CREATE INDEX attempts_started_at_idx ON attempts (started_at);
