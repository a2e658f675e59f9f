-- Continuum storage, version 1. Applied by `continuum db migrate` with search_path set
-- to the Continuum schema (default "continuum"), so names here are unqualified.

-- Fencing tokens: every claim of a run takes the next value, so tokens only grow.
CREATE SEQUENCE lease_token_seq;

CREATE TABLE runs (
    run_id           text PRIMARY KEY,
    workflow         text NOT NULL,
    version_hash     text,
    status           text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'suspended', 'completed', 'failed',
                          'cancelled', 'drifted', 'continued')),
    input            text NOT NULL,
    result           text,
    error            text,
    namespace        text NOT NULL DEFAULT 'default',
    attributes       jsonb NOT NULL DEFAULT '{}'::jsonb,
    parent_id        text,
    correlation_id   text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    -- When the run is due again (pending: its start time; suspended: timer, retry or
    -- an arrived signal/task). NULL while suspended = only a signal/task/child wakes it.
    next_wakeup_at   timestamptz,
    waiting_on       text,
    cancel_requested boolean NOT NULL DEFAULT false,
    lease_owner      text,
    lease_token      bigint,
    lease_expires_at timestamptz
) WITH (fillfactor = 80);

-- Claims: due pending/suspended runs by wake time, and running runs by lease expiry.
CREATE INDEX runs_claim_idx ON runs (status, next_wakeup_at);
CREATE INDEX runs_lease_idx ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_namespace_idx ON runs (namespace, created_at DESC);
CREATE INDEX runs_workflow_idx ON runs (workflow, created_at DESC);
CREATE INDEX runs_created_idx ON runs (created_at DESC);
CREATE INDEX runs_attributes_idx ON runs USING gin (attributes jsonb_path_ops);
CREATE INDEX runs_parent_idx ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX runs_correlation_idx ON runs (correlation_id) WHERE correlation_id IS NOT NULL;

-- The journal: append-only, one row per event, seq 1.. without gaps per run.
CREATE TABLE events (
    run_id     text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq > 0),
    kind       text NOT NULL,
    command    jsonb,
    payload    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

-- Activity tasks routed to a queue (`queue=`), leased by workers serving that queue.
CREATE TABLE tasks (
    task_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id            text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq               integer NOT NULL,
    queue             text NOT NULL,
    activity          text NOT NULL,
    args              text NOT NULL,
    attempt           integer NOT NULL DEFAULT 1 CHECK (attempt > 0),
    max_attempts      integer NOT NULL DEFAULT 1 CHECK (max_attempts > 0),
    status            text NOT NULL DEFAULT 'available'
        CHECK (status IN ('available', 'leased', 'completed', 'failed')),
    result            text,
    error             text,
    idempotency_key   text NOT NULL,
    timeout_seconds   double precision,
    heartbeat_seconds double precision,
    available_at      timestamptz NOT NULL DEFAULT now(),
    lease_owner       text,
    lease_expires_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    UNIQUE (run_id, seq)
);

CREATE INDEX tasks_pickup_idx ON tasks (queue, available_at) WHERE status = 'available';
CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'leased';

-- Signal mailbox: buffered FIFO per (run, name). A consumed signal keeps its row
-- (consumed_at set) so that a retried send with the same delivery_id stays a no-op.
CREATE TABLE signals (
    signal_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    name        text NOT NULL,
    payload     text NOT NULL,
    delivery_id text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    consumed_at timestamptz,
    UNIQUE (run_id, delivery_id)
);

CREATE INDEX signals_mailbox_idx ON signals (run_id, name, signal_id) WHERE consumed_at IS NULL;

-- Every version hash a run was ever pinned to, with its workflow.
CREATE TABLE workflow_versions (
    version_hash text NOT NULL,
    workflow     text NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version_hash, workflow)
);
