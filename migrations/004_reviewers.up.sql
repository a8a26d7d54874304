-- Accounts of the people who may sign in to the review web page
-- (`starter review serve`); created by `starter review users add NAME`.
CREATE TABLE reviewers (
    name          text PRIMARY KEY,
    password_hash bytea NOT NULL, -- bcrypt
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
