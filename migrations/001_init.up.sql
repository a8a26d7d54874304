-- Documents as submitted: the bytes live here, workflows carry only the id.
CREATE TABLE documents (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'), -- sha256 of content
    name         text NOT NULL,
    media_type   text NOT NULL,
    size_bytes   bigint NOT NULL,
    content      bytea NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'processing', 'review', 'completed', 'rejected')),
    doc_type     text,
    reason       text,                      -- why the document is in review or rejected
    submitted_at timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX documents_status_idx ON documents (status, submitted_at);

-- Text layer and classification, written by the parse step.
CREATE TABLE document_texts (
    document_id    text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    text           text NOT NULL,
    pages          int NOT NULL,
    classification jsonb NOT NULL,
    parsed_at      timestamptz NOT NULL DEFAULT now()
);

-- One candidate result per tier that produced output, valid or not. The first
-- valid one of a tier is kept, so a retried activity returns it instead of
-- paying for the work again; invalid ones serve as partial fields for review.
CREATE TABLE extractions (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    tier        text NOT NULL,
    model       text NOT NULL DEFAULT '',
    doc_type    text NOT NULL,
    fields      jsonb NOT NULL,
    confidence  jsonb NOT NULL DEFAULT '{}',
    overall     double precision NOT NULL,
    valid       boolean NOT NULL,
    problems    jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, tier)
);

-- Validated LLM answers by (content, type, model, prompt version), so that
-- reprocessing or re-submitting does not pay for the same answer twice.
CREATE TABLE llm_cache (
    document_id    text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    doc_type       text NOT NULL,
    model          text NOT NULL,
    prompt_version text NOT NULL,
    fields         jsonb NOT NULL,
    answered_by    text NOT NULL, -- the model name the API reported
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, doc_type, model, prompt_version)
);

-- Outputs of the optional tasks (classify, summarize), one per document and
-- task; fallback marks the predefined result a caller opted in to.
CREATE TABLE task_results (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    task        text NOT NULL CHECK (task IN ('classify', 'summarize')),
    output      jsonb NOT NULL,
    tier        text NOT NULL,
    model       text NOT NULL DEFAULT '',
    fallback    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, task)
);

-- The final result, one row per document.
CREATE TABLE results (
    document_id text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    doc_type    text NOT NULL,
    fields      jsonb NOT NULL,
    confidence  jsonb NOT NULL DEFAULT '{}',
    tier        text NOT NULL,
    model       text NOT NULL DEFAULT '',
    attempts    int NOT NULL,
    cost_usd    numeric(12, 6) NOT NULL DEFAULT 0,
    latency_ms  bigint NOT NULL DEFAULT 0,
    reviewer    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every tier attempt: stats, cost control, routing and audits read this table.
CREATE TABLE attempts (
    id                bigserial PRIMARY KEY,
    document_id       text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    task              text NOT NULL DEFAULT 'extract',
    tier              text NOT NULL,
    model             text NOT NULL DEFAULT '',
    attempt           int NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('success', 'error', 'invalid', 'low_confidence')),
    error_class       text NOT NULL DEFAULT '',
    error_message     text NOT NULL DEFAULT '',
    latency_ms        bigint NOT NULL,
    prompt_tokens     int NOT NULL DEFAULT 0,
    completion_tokens int NOT NULL DEFAULT 0,
    cost_usd          numeric(12, 6) NOT NULL DEFAULT 0,
    started_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attempts_document_idx ON attempts (document_id, started_at);

-- The manual review queue. Claims take the oldest, most urgent pending item
-- with FOR UPDATE SKIP LOCKED, in the order of review_items_claim_idx.
CREATE TABLE review_items (
    id               bigserial PRIMARY KEY,
    document_id      text NOT NULL UNIQUE REFERENCES documents (id) ON DELETE CASCADE,
    document_name    text NOT NULL, -- copied, so that claims need no join
    workflow_id      text NOT NULL,
    doc_type         text NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'claimed', 'completed', 'rejected', 'redriven')),
    priority         int NOT NULL DEFAULT 100, -- lower is more urgent
    reasons          jsonb NOT NULL DEFAULT '[]',
    partial_fields   jsonb,
    claimed_by       text,
    lease_expires_at timestamptz,
    due_at           timestamptz NOT NULL,
    escalated        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_items_claim_idx ON review_items (priority, created_at, id) WHERE state = 'pending';
CREATE INDEX review_items_lease_idx ON review_items (lease_expires_at) WHERE state = 'claimed';

-- Audit log of every review action. No foreign key: the log outlives the
-- items it describes, and the claim statement stays free of FK checks.
CREATE TABLE review_events (
    id             bigserial PRIMARY KEY,
    review_item_id bigint NOT NULL,
    action         text NOT NULL,
    actor          text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_events_item_idx ON review_events (review_item_id, at);
