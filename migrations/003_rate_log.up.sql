-- Requests sent to each model, with the tokens they count against its
-- per-minute limits: every worker reads and writes this one log, so all
-- workers together stay inside a provider's RPM and TPM (a sliding 60 s
-- window, as providers count). Rows older than two minutes are deleted as
-- new ones are taken.
CREATE TABLE rate_log (
    id     bigserial PRIMARY KEY,
    model  text NOT NULL,
    tokens int NOT NULL,
    at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rate_log_model_at_idx ON rate_log (model, at);
